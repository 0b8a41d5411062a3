/**
 * The relay's per-message decisions, kept pure: what a client or upstream WebSocket message is,
 * what the relay does with it, and which close codes it may pass on. relay.ts does the I/O.
 */
import {
  CHANNEL_CLOSE,
  CHANNEL_ERROR,
  CHANNEL_RESIZE,
  CHANNEL_STDERR,
  CHANNEL_STDIN,
  CHANNEL_STDOUT,
  decodeFrame,
  parseExitStatus,
  parseResize,
  sendsStatusJson,
} from '../../kube/channels.js';
import type { ChannelProtocol, TerminalSize } from '../../kube/channels.js';

/** What to do with a client → apiserver message. */
export type ClientFrameAction =
  | { kind: 'stdin'; payload: Uint8Array }
  | { kind: 'resize'; payload: Uint8Array; sizes: TerminalSize[] }
  | { kind: 'close'; channel: number }
  | { kind: 'drop'; reason: string };

/** What to do with an apiserver → client message. */
export type UpstreamFrameAction =
  | { kind: 'ready'; channel: number }
  | { kind: 'output'; channel: typeof CHANNEL_STDOUT | typeof CHANNEL_STDERR; payload: Uint8Array }
  | { kind: 'status'; payload: Uint8Array }
  | { kind: 'close'; channel: number }
  | { kind: 'drop'; reason: string }
  | { kind: 'invalid'; reason: string };

/** A WebSocket message as `ws` delivers it. */
export type RawMessage = Buffer | ArrayBuffer | Buffer[];

function bytesOf(data: RawMessage): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Decodes a `ws` message for a protocol: base64 protocols need it as text. */
export function decodeMessage(protocol: ChannelProtocol, data: RawMessage, isBinary: boolean): ReturnType<typeof decodeFrame> {
  const bytes = bytesOf(data);
  return decodeFrame(protocol, isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('latin1'), isBinary);
}

/**
 * Classifies a client message. Only stdin, resize and the v5 close frame travel upstream; a
 * client has no business writing output or status channels, and malformed messages are dropped
 * as the apiserver's own stream handler drops them.
 */
export function clientFrameAction(protocol: ChannelProtocol, data: RawMessage, isBinary: boolean): ClientFrameAction {
  const decoded = decodeMessage(protocol, data, isBinary);
  if (!decoded.ok) return { kind: 'drop', reason: decoded.reason };
  const { channel, payload } = decoded.frame;
  if (channel === CHANNEL_STDIN) return { kind: 'stdin', payload };
  if (channel === CHANNEL_CLOSE) return { kind: 'close', channel: payload[0]! };
  if (channel === CHANNEL_RESIZE) {
    const parsed = parseResize(payload);
    return parsed.ok ? { kind: 'resize', payload, sizes: parsed.sizes } : { kind: 'drop', reason: parsed.reason };
  }
  return { kind: 'drop', reason: `a client may not write channel ${channel}` };
}

/**
 * Classifies an upstream message. An empty message is the readiness signal and passes as is;
 * output goes through the masker; a message that cannot be decoded is `invalid`, because output
 * the relay cannot read cannot be masked either, so the session must end.
 */
export function upstreamFrameAction(protocol: ChannelProtocol, data: RawMessage, isBinary: boolean): UpstreamFrameAction {
  const decoded = decodeMessage(protocol, data, isBinary);
  if (!decoded.ok) return { kind: 'invalid', reason: decoded.reason };
  const { channel, payload } = decoded.frame;
  if (channel === CHANNEL_CLOSE) return { kind: 'close', channel: payload[0]! };
  if (payload.length === 0 && channel <= CHANNEL_ERROR) return { kind: 'ready', channel };
  if (channel === CHANNEL_STDOUT || channel === CHANNEL_STDERR) return { kind: 'output', channel, payload };
  if (channel === CHANNEL_ERROR) return { kind: 'status', payload };
  return { kind: 'drop', reason: `the apiserver may not write channel ${channel}` };
}

/** The outcome of a session as far as the status channel tells it. */
export interface ExecExit {
  /** The command's exit code; 1 for a failure without one, as kubectl reports it. */
  exitCode: number;
  message: string;
}

/**
 * Reads the status channel: a metav1.Status on v4 and v5; on older protocols the channel carries
 * only an error text, which kubectl turns into exit code 1.
 */
export function exitFromStatus(protocol: ChannelProtocol, payload: Uint8Array): ExecExit {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  if (!sendsStatusJson(protocol)) return { exitCode: 1, message: text };
  const status = parseExitStatus(text);
  return status.ok ? { exitCode: status.exitCode, message: status.message } : { exitCode: 1, message: status.reason };
}

/**
 * The exit of a session that closed normally without a status message: success on the older
 * protocols (they send nothing on success), unknown on v4 and v5 (they always send one).
 */
export function exitWithoutStatus(protocol: ChannelProtocol, closeCode: number): ExecExit | undefined {
  return closeCode === 1000 && !sendsStatusJson(protocol) ? { exitCode: 0, message: '' } : undefined;
}

/** Largest close reason a WebSocket close frame can carry, in bytes. */
const MAX_CLOSE_REASON = 123;

/**
 * The close code and reason to send to one side when the other closed with `code`. Codes a peer
 * may not send (1005 no status, 1006 abnormal, 1015 TLS) become 1000 for "no status" and
 * `abnormalCode` for an abnormal end: 1011 ("internal error") towards the client, so kubectl
 * reports an error rather than a clean exit, 1001 ("going away") towards the apiserver.
 */
export function closeToForward(code: number, reason: string, abnormalCode = 1011): { code: number; reason: string } {
  let bytes = Buffer.from(reason, 'utf8');
  if (bytes.length > MAX_CLOSE_REASON) bytes = bytes.subarray(0, MAX_CLOSE_REASON);
  const trimmed = bytes.toString('utf8').replace(/\uFFFD$/, '');
  if (code === 1005) return { code: 1000, reason: '' };
  if (code === 1006 || code === 1015) return { code: abnormalCode, reason: 'kgate: the other side of the session ended abnormally' };
  const sendable = code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return sendable ? { code, reason: trimmed } : { code: 1011, reason: `kgate: the other side closed with code ${code}` };
}
