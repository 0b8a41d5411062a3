/**
 * The last word of a stream kgate ends because its grant (or the caller's credential) ended, in
 * each protocol's own shape, so the client prints why instead of reporting a broken connection:
 *
 * - exec/attach over the channel protocols: a `Status` (Failure) on the error channel (3) just
 *   before a normal close; client-go returns its message as the error, so kubectl prints
 *   `error: kgate: grant … expired; stream closed` (docs/k8s-protocol.md §5.3). Protocols before v4
 *   carry plain text there, which kubectl prints the same way.
 * - watch: a final `{"type":"ERROR","object":<Status>}` event, as the apiserver ends a watch it
 *   cannot continue (§4); kubectl prints the Status, informers see an error and re-list.
 * - logs (`-f`): kubectl copies log bytes verbatim, so an appended line, prefixed `kgate:`, is the
 *   only in-band way to say it.
 * - port-forward (WebSocket channel protocol): the text on each port's error channel, which
 *   clients report as that port's error (§5.4).
 */
import { CHANNEL_ERROR, encodeFrame, sendsStatusJson, type ChannelProtocol } from './channels.js';
import { goJson, statusResponse, type StatusResponse } from './status.js';

/** Longest reason carried in band: a revoker's note is shown, not a document. */
const MAX_WHY = 300;

/** `why` on one line, printable and bounded: a revoke reason must not forge further log lines. */
function oneLine(why: string): string {
  const flat = why.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
  return flat.length > MAX_WHY ? `${flat.slice(0, MAX_WHY - 1)}…` : flat;
}

/** The sentence every farewell carries, e.g. `kgate: grant g-1 expired; stream closed`. */
export function streamEndMessage(why: string): string {
  return `kgate: ${oneLine(why) || 'access ended'}; stream closed`;
}

/**
 * The Status of a stream kgate ended: Failure, 403 Forbidden (access is over; a client that
 * retries meets the same refusal from RBAC), with {@link streamEndMessage} as its message.
 * Newline-terminated JSON, as the apiserver writes it.
 */
export function streamEndStatus(why: string): string {
  return statusResponse(403, 'Forbidden', streamEndMessage(why)).body;
}

/**
 * The answer to a request kgate ended before its response started (held for approval, or waiting
 * for the apiserver): the same Status as an HTTP response, worded for a request.
 */
export function endedRequestStatus(why: string): StatusResponse {
  return statusResponse(403, 'Forbidden', `kgate: ${oneLine(why) || 'access ended'}; request ended`);
}

/** A WebSocket message ready to send. */
export interface EndFrame {
  data: Uint8Array | string;
  isBinary: boolean;
}

/** exec/attach: the error-channel message (a Status on v4/v5, plain text before) to send before closing. */
export function execEndFrame(protocol: ChannelProtocol, why: string): EndFrame {
  const payload = sendsStatusJson(protocol) ? streamEndStatus(why) : streamEndMessage(why);
  return encodeFrame(protocol, CHANNEL_ERROR, new TextEncoder().encode(payload));
}

/** watch (JSON framing): the final ERROR event, one line. */
export function watchEndEvent(why: string): string {
  return goJson({ type: 'ERROR', object: JSON.parse(streamEndStatus(why)) as unknown });
}

/**
 * logs: the final line. `atLineStart` says whether the output so far ended with a newline (or
 * was empty); otherwise the line starts on a fresh one so it is not glued to a partial log line.
 */
export function logEndLine(why: string, atLineStart: boolean): string {
  return `${atLineStart ? '' : '\n'}${streamEndMessage(why)}\n`;
}

/** What {@link portForwardEndFrames} needs to know about a session. */
export interface PortForwardEndShape {
  /** `v4.base64.channel.k8s.io` frames text; the others binary. */
  base64: boolean;
  /** The requested ports, in order: port i has data channel 2i and error channel 2i+1. */
  ports: readonly number[];
  /** How many of the 2 port-prefix bytes the client already got on `channel` (0–2). */
  prefixSent(channel: number): number;
}

/**
 * port-forward: one message per port on its error channel. Each channel's first bytes must be the
 * port (2 bytes little-endian); where the apiserver had not yet sent them, they lead the message.
 */
export function portForwardEndFrames(shape: PortForwardEndShape, why: string): EndFrame[] {
  const text = new TextEncoder().encode(streamEndMessage(why));
  return shape.ports.flatMap((port, i): EndFrame[] => {
    const channel = 2 * i + 1;
    // Base64 framing names the channel with one digit: later ports have no error channel to write.
    if (shape.base64 && channel > 9) return [];
    const prefix = Uint8Array.of(port & 0xff, (port >> 8) & 0xff).subarray(Math.min(Math.max(shape.prefixSent(channel), 0), 2));
    const payload = new Uint8Array(prefix.length + text.length);
    payload.set(prefix, 0);
    payload.set(text, prefix.length);
    if (shape.base64) return [{ data: String.fromCharCode(0x30 + channel) + Buffer.from(payload).toString('base64'), isBinary: false }];
    const data = new Uint8Array(payload.length + 1);
    data[0] = channel;
    data.set(payload, 1);
    return [{ data, isBinary: true }];
  });
}
