/**
 * The port-forward WebSocket channel protocol, kept pure (docs/k8s-protocol.md §5.4; kubelet
 * portforward/websocket.go): for requested port i, channel 2i carries data both ways and channel
 * 2i+1 error text from the apiserver; the first message the apiserver sends on each channel starts
 * with the port as 2 bytes little-endian. Framing is exec's (one channel byte, or a channel digit
 * plus base64 text), but channels go up to 2·ports−1 and there is no close channel. The payload is
 * opaque application traffic: the relay counts it and passes it on unchanged, never masks it.
 */
import type { RawMessage } from './frames.js';

/** A port-forward WebSocket subprotocol; `channel.k8s.io` stands for "none offered". */
export type PortForwardProtocol = 'v4.channel.k8s.io' | 'v4.base64.channel.k8s.io' | 'channel.k8s.io';

/** The subprotocols the kubelet serves port-forward on, most preferred first (besides none). */
export const PORT_FORWARD_PROTOCOLS: readonly PortForwardProtocol[] = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/**
 * Picks the subprotocol like the kubelet's wsstream handshake: the client's first offer it
 * supports; a client that offered none gets binary framing with no header.
 */
export function negotiatePortForwardProtocol(offered: readonly string[]): { ok: true; protocol: PortForwardProtocol; header: string } | { ok: false; reason: string } {
  if (offered.length === 0) return { ok: true, protocol: 'channel.k8s.io', header: '' };
  const match = offered.find((p) => (PORT_FORWARD_PROTOCOLS as readonly string[]).includes(p)) as PortForwardProtocol | undefined;
  if (match) return { ok: true, protocol: match, header: match };
  return { ok: false, reason: `requested protocol(s) are not supported for pods/portforward: [${offered.join(' ')}]; supports [${PORT_FORWARD_PROTOCOLS.join(' ')}]` };
}

/** A decoded message: its channel and payload. */
export interface PortForwardFrame {
  channel: number;
  payload: Buffer;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytesOf(data: RawMessage): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Decodes one message; binary protocols need binary messages and the base64 one text messages. */
export function decodePortForwardFrame(protocol: PortForwardProtocol, data: RawMessage, isBinary: boolean): { ok: true; frame: PortForwardFrame } | { ok: false; reason: string } {
  const bytes = bytesOf(data);
  if (bytes.length === 0) return { ok: false, reason: 'an empty message has no channel' };
  if (protocol !== 'v4.base64.channel.k8s.io') {
    if (!isBinary) return { ok: false, reason: `${protocol} frames must be binary messages` };
    return { ok: true, frame: { channel: bytes[0]!, payload: bytes.subarray(1) } };
  }
  if (isBinary) return { ok: false, reason: `${protocol} frames must be text messages` };
  const channel = bytes[0]! - 0x30;
  if (channel < 0 || channel > 9) return { ok: false, reason: 'a base64 frame must start with a channel digit' };
  const text = bytes.subarray(1).toString('latin1');
  if (!STRICT_BASE64.test(text)) return { ok: false, reason: 'the frame payload is not valid base64' };
  return { ok: true, frame: { channel, payload: Buffer.from(text, 'base64') } };
}

/** What to do with one message, and what it counts for. */
export type PortForwardAction =
  /** Pass the message on unchanged; `bytes` of application data (port prefixes excluded). */
  | { kind: 'forward'; port: number; bytes: number }
  /** Pass on an apiserver error-channel message whose text (prefix excluded) is `text`. */
  | { kind: 'error'; port: number; text: string }
  | { kind: 'drop'; reason: string };

/**
 * Classifies the messages of one session by direction. The client may write only data channels;
 * the apiserver writes data and error channels, and the port prefix it puts first on each is
 * neither data nor error text.
 */
export class PortForwardChannels {
  /** Prefix bytes still expected per apiserver channel. */
  private readonly prefixLeft: number[];

  constructor(
    readonly protocol: PortForwardProtocol,
    readonly ports: readonly number[],
  ) {
    this.prefixLeft = ports.flatMap(() => [2, 2]);
  }

  /** How many of the 2 port-prefix bytes of an apiserver `channel` were passed on to the client. */
  prefixSent(channel: number): number {
    const left = this.prefixLeft[channel];
    return left === undefined ? 0 : 2 - left;
  }

  /** A client → apiserver message. */
  fromClient(data: RawMessage, isBinary: boolean): PortForwardAction {
    const decoded = decodePortForwardFrame(this.protocol, data, isBinary);
    if (!decoded.ok) return { kind: 'drop', reason: decoded.reason };
    const { channel, payload } = decoded.frame;
    const port = this.ports[channel >> 1];
    if (port === undefined) return { kind: 'drop', reason: `channel ${channel} belongs to no requested port` };
    if (channel % 2 === 1) return { kind: 'drop', reason: `a client may not write the error channel of port ${port}` };
    return { kind: 'forward', port, bytes: payload.length };
  }

  /** An apiserver → client message. */
  fromUpstream(data: RawMessage, isBinary: boolean): PortForwardAction {
    const decoded = decodePortForwardFrame(this.protocol, data, isBinary);
    if (!decoded.ok) return { kind: 'drop', reason: decoded.reason };
    const { channel, payload } = decoded.frame;
    const port = this.ports[channel >> 1];
    if (port === undefined) return { kind: 'drop', reason: `channel ${channel} belongs to no requested port` };
    const left = this.prefixLeft[channel]!;
    const skip = Math.min(left, payload.length);
    this.prefixLeft[channel] = left - skip;
    const rest = payload.subarray(skip);
    if (channel % 2 === 1 && rest.length > 0) return { kind: 'error', port, text: rest.toString('utf8') };
    return { kind: 'forward', port, bytes: channel % 2 === 0 ? rest.length : 0 };
  }
}
