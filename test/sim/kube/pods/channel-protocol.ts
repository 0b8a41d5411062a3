/**
 * The Kubernetes WebSocket channel protocols used by exec and attach
 * (apimachinery wsstream; kubelet remotecommand websocket.go; apiserver stream translator for v5).
 */

/** Channel ids (apimachinery pkg/util/remotecommand/constants.go). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** One negotiated WebSocket subprotocol and what it implies. */
export interface ChannelProtocol {
  /** As echoed in Sec-WebSocket-Protocol; '' when the client offered none (kubelet treats that as v1 binary). */
  name: string;
  /** Text frames carrying an ASCII channel digit and base64 payload instead of binary frames. */
  base64: boolean;
  /** v4 and v5 write a JSON metav1.Status on channel 3; older ones write only a failure message as text. */
  jsonStatus: boolean;
  /** Only v5 understands the `[255, channel]` half-close frame. */
  streamClose: boolean;
}

/**
 * The protocols a real cluster accepts over WebSocket, in order of preference: v5 is served by the
 * apiserver's stream translator, the rest by the kubelet. `v2/v3.channel.k8s.io` are SPDY-only
 * stream versions, so a WebSocket offering only those is refused there too.
 */
export const CHANNEL_PROTOCOLS: readonly ChannelProtocol[] = [
  { name: 'v5.channel.k8s.io', base64: false, jsonStatus: true, streamClose: true },
  { name: 'v4.channel.k8s.io', base64: false, jsonStatus: true, streamClose: false },
  { name: 'v4.base64.channel.k8s.io', base64: true, jsonStatus: true, streamClose: false },
  { name: 'channel.k8s.io', base64: false, jsonStatus: false, streamClose: false },
  { name: 'base64.channel.k8s.io', base64: true, jsonStatus: false, streamClose: false },
];

const NO_PROTOCOL: ChannelProtocol = { name: '', base64: false, jsonStatus: false, streamClose: false };

/**
 * Picks the most preferred supported protocol among those the client offered; a client that
 * offered none gets the implicit v1 binary protocol. `undefined` means nothing acceptable.
 */
export function negotiateChannelProtocol(offered: readonly string[]): ChannelProtocol | undefined {
  if (offered.length === 0) return NO_PROTOCOL;
  return CHANNEL_PROTOCOLS.find((p) => offered.includes(p.name));
}

/** Splits a `Sec-WebSocket-Protocol` request header into the offered protocol names. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : (header ?? '');
  return joined
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Encodes one server→client message: binary `[channel, ...payload]` or text `'<digit><base64>'`. */
export function encodeFrame(protocol: ChannelProtocol, channel: number, payload: Uint8Array): Buffer | string {
  if (protocol.base64) return String.fromCharCode(0x30 + channel) + Buffer.from(payload).toString('base64');
  const frame = Buffer.allocUnsafe(payload.length + 1);
  frame[0] = channel;
  frame.set(payload, 1);
  return frame;
}

/** A decoded client→server message. */
export interface Frame {
  channel: number;
  payload: Buffer;
}

/** Decodes one client→server message; `undefined` for an empty or malformed one. */
export function decodeFrame(protocol: ChannelProtocol, data: Buffer): Frame | undefined {
  if (data.length === 0) return undefined;
  if (!protocol.base64) return { channel: data[0]!, payload: data.subarray(1) };
  const channel = data[0]! - 0x30;
  if (channel < 0 || channel > 9) return undefined;
  const text = data.subarray(1).toString('latin1');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return { channel, payload: Buffer.from(text, 'base64') };
}

/** The channel a v5 half-close frame `[255, channel]` closes, if this frame is one. */
export function closedChannel(protocol: ChannelProtocol, frame: Frame): number | undefined {
  if (!protocol.streamClose || frame.channel !== Channel.close || frame.payload.length !== 1) return undefined;
  return frame.payload[0];
}

/** Terminal size as client-go encodes it on the resize channel (`{"Width":80,"Height":24}`). */
export interface TerminalSize {
  width: number;
  height: number;
}

/** Parses a resize message; `undefined` when it is not a valid TerminalSize. */
export function parseTerminalSize(payload: Buffer): TerminalSize | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const { Width: width, Height: height } = value;
    if (!Number.isInteger(width) || !Number.isInteger(height)) return undefined;
    if ((width as number) < 0 || (height as number) < 0 || (width as number) > 0xffff || (height as number) > 0xffff) return undefined;
    return { width: width as number, height: height as number };
  } catch {
    return undefined;
  }
}
