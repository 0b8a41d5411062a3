/**
 * The remotecommand WebSocket channel protocol of exec and attach (docs/k8s-protocol.md §5.3): binary
 * protocols (`v5.channel.k8s.io`, `v4.channel.k8s.io`, `channel.k8s.io`) carry one channel byte
 * plus the raw payload; base64 protocols (`v4.base64.channel.k8s.io`, `base64.channel.k8s.io`)
 * carry text frames of an ASCII channel digit plus standard base64. Only v5 has the CLOSE channel.
 */

/** stdin, client → server. */
export const CHANNEL_STDIN = 0;
/** stdout, server → client. */
export const CHANNEL_STDOUT = 1;
/** stderr, server → client. */
export const CHANNEL_STDERR = 2;
/** error/status: a metav1.Status JSON (v4, v5) or plain text (older protocols). */
export const CHANNEL_ERROR = 3;
/** terminal resize JSON, client → server. */
export const CHANNEL_RESIZE = 4;
/** v5 half-close: the payload is the one channel byte being closed. */
export const CHANNEL_CLOSE = 255;

/** A remotecommand WebSocket subprotocol. */
export type ChannelProtocol = 'v5.channel.k8s.io' | 'v4.channel.k8s.io' | 'channel.k8s.io' | 'v4.base64.channel.k8s.io' | 'base64.channel.k8s.io';

/** Every protocol this module speaks, most preferred first. */
export const CHANNEL_PROTOCOLS: readonly ChannelProtocol[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];

const BASE64_PROTOCOLS: ReadonlySet<string> = new Set(['v4.base64.channel.k8s.io', 'base64.channel.k8s.io']);
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const STATUS_JSON_PROTOCOLS: ReadonlySet<string> = new Set(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io']);

/** Whether the error channel carries a metav1.Status (v4, v5) rather than plain error text (older protocols). */
export function sendsStatusJson(protocol: ChannelProtocol): boolean {
  return STATUS_JSON_PROTOCOLS.has(protocol);
}

/** A decoded frame. */
export interface ChannelFrame {
  channel: number;
  payload: Uint8Array;
}

/** Whether a protocol frames in base64 text. */
export function isBase64Protocol(protocol: ChannelProtocol): boolean {
  return BASE64_PROTOCOLS.has(protocol);
}

/**
 * Picks the subprotocol like the apiserver's wsstream handshake: the first protocol the client
 * offered (in the client's order) that is also supported. A client that offered none gets the
 * unnamed default, binary channels (`channel.k8s.io` framing), when that is supported; `header`
 * is what to echo in Sec-WebSocket-Protocol ('' for none).
 */
export function negotiateProtocol(offered: readonly string[], supported: readonly ChannelProtocol[] = CHANNEL_PROTOCOLS): { ok: true; protocol: ChannelProtocol; header: string } | { ok: false; reason: string } {
  const names = offered.map((p) => p.trim()).filter((p) => p !== '');
  if (names.length === 0 && supported.includes('channel.k8s.io')) return { ok: true, protocol: 'channel.k8s.io', header: '' };
  const match = names.find((p) => (supported as readonly string[]).includes(p));
  if (match) return { ok: true, protocol: match as ChannelProtocol, header: match };
  return { ok: false, reason: `requested protocol(s) are not supported: [${names.join(' ')}]; supports [${supported.join(' ')}]` };
}

function validChannel(protocol: ChannelProtocol, channel: number, payload: Uint8Array): string | undefined {
  if (channel === CHANNEL_CLOSE) {
    if (protocol !== 'v5.channel.k8s.io') return 'the close channel exists only in v5.channel.k8s.io';
    if (payload.length !== 1 || payload[0]! > CHANNEL_RESIZE) return 'a close frame names exactly one channel';
    return undefined;
  }
  return channel <= CHANNEL_RESIZE ? undefined : `unknown channel ${channel}`;
}

/**
 * Decodes one WebSocket message. Binary protocols need binary messages and base64 protocols
 * text messages (client-go rejects the other kind, so a relay must too).
 */
export function decodeFrame(protocol: ChannelProtocol, data: Uint8Array | string, isBinary: boolean): { ok: true; frame: ChannelFrame } | { ok: false; reason: string } {
  if (isBase64Protocol(protocol)) {
    if (isBinary || typeof data !== 'string') return { ok: false, reason: `${protocol} frames must be text messages` };
    if (data.length === 0) return { ok: false, reason: 'an empty message has no channel' };
    const channel = data.charCodeAt(0) - 0x30;
    if (channel < 0 || channel > 9) return { ok: false, reason: 'a base64 frame must start with a channel digit' };
    const text = data.slice(1);
    if (!STRICT_BASE64.test(text)) return { ok: false, reason: 'the frame payload is not valid base64' };
    const payload = new Uint8Array(Buffer.from(text, 'base64'));
    const problem = validChannel(protocol, channel, payload);
    return problem ? { ok: false, reason: problem } : { ok: true, frame: { channel, payload } };
  }
  if (!isBinary || typeof data === 'string') return { ok: false, reason: `${protocol} frames must be binary messages` };
  if (data.length === 0) return { ok: false, reason: 'an empty message has no channel' };
  const channel = data[0]!;
  const payload = data.subarray(1);
  const problem = validChannel(protocol, channel, payload);
  return problem ? { ok: false, reason: problem } : { ok: true, frame: { channel, payload } };
}

function toBase64(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
}

/** Encodes one frame for a protocol: `{ data, isBinary }` ready for a WebSocket send; a channel the protocol cannot carry is a programming error (RangeError). */
export function encodeFrame(protocol: ChannelProtocol, channel: number, payload: Uint8Array): { data: Uint8Array | string; isBinary: boolean } {
  const highest = isBase64Protocol(protocol) ? 9 : 255;
  if (!Number.isInteger(channel) || channel < 0 || channel > highest) throw new RangeError(`channel ${channel} cannot be framed in ${protocol}`);
  if (isBase64Protocol(protocol)) return { data: String.fromCharCode(0x30 + channel) + toBase64(payload), isBinary: false };
  const data = new Uint8Array(payload.length + 1);
  data[0] = channel;
  data.set(payload, 1);
  return { data, isBinary: true };
}

/** The outcome of a remote command, from the status channel. */
export type ExitStatus =
  | { ok: true; exitCode: number; message: string }
  | { ok: false; reason: string };

const utf8 = new TextDecoder();

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Reads the metav1.Status sent on the error channel: `Success` → exit code 0; `Failure` with
 * reason `NonZeroExitCode` and an `ExitCode` cause → that code (kubectl exits with it); any other
 * Failure → exit code 1 with its message, as kubectl reports it.
 */
export function parseExitStatus(status: string | Uint8Array): ExitStatus {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof status === 'string' ? status : utf8.decode(status));
  } catch {
    return { ok: false, reason: 'the status is not JSON' };
  }
  const object = asRecord(parsed);
  if (!object) return { ok: false, reason: 'the status is not a JSON object' };
  const message = typeof object.message === 'string' ? object.message : '';
  if (object.status === 'Success') return { ok: true, exitCode: 0, message };
  if (object.status !== 'Failure') return { ok: false, reason: 'the status is neither Success nor Failure' };
  if (object.reason === 'NonZeroExitCode') {
    const causes = asRecord(object.details)?.causes;
    const cause = Array.isArray(causes) ? causes.map(asRecord).find((c) => c?.reason === 'ExitCode') : undefined;
    const code = typeof cause?.message === 'string' && /^\d+$/.test(cause.message) ? Number(cause.message) : NaN;
    if (Number.isSafeInteger(code)) return { ok: true, exitCode: code, message };
    return { ok: false, reason: 'a NonZeroExitCode status without a numeric ExitCode cause' };
  }
  return { ok: true, exitCode: 1, message };
}

/** A terminal size from the resize channel. */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * Parses resize-channel payload: one or more JSON `TerminalSize` objects (`{"Width":80,"Height":24}`,
 * matched case-insensitively as Go's encoding/json does), separated by whitespace.
 */
export function parseResize(payload: string | Uint8Array): { ok: true; sizes: TerminalSize[] } | { ok: false; reason: string } {
  const text = typeof payload === 'string' ? payload : utf8.decode(payload);
  const sizes: TerminalSize[] = [];
  for (const line of text.split(/\n/)) {
    if (line.trim() === '') continue;
    let object: Record<string, unknown> | undefined;
    try {
      object = asRecord(JSON.parse(line));
    } catch {
      return { ok: false, reason: 'a resize message is not JSON' };
    }
    if (!object) return { ok: false, reason: 'a resize message is not a JSON object' };
    const size = { width: 0, height: 0 };
    for (const [key, value] of Object.entries(object)) {
      const field = key.toLowerCase();
      if (field !== 'width' && field !== 'height') continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) return { ok: false, reason: `resize ${key} must be an integer from 0 to 65535` };
      size[field] = value;
    }
    sizes.push(size);
  }
  return { ok: true, sizes };
}
