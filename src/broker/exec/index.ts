/**
 * The broker's exec/attach and port-forward relays, and the refusal of streams they cannot decode
 * (SPDY, and port-forward outside the WebSocket channel protocol).
 */
export { relayExec } from './relay.js';
export { relayPortForward } from './port-forward-relay.js';
export type { RelayPortForwardOptions, PortForwardSessionSummary } from './port-forward-relay.js';
export type { RelayExecOptions, ExecSessionSummary } from './relay.js';
export type { ExecRecorder } from './session.js';
export type { ExecExit } from './frames.js';
export type { UpstreamTarget } from './upstream.js';
export { parseExecTarget } from './exec-target.js';
export type { ExecTarget } from './exec-target.js';
export { RecentRefusals } from './refusal-memory.js';
export { writeRawStatus as writeUpgradeRefusal } from '../raw-response.js';
export type { RawResponse as UpgradeRefusal } from '../raw-response.js';
export { isSpdyUpgrade, isPortForwardTunnel, unrecordableStreamRefusal, refuseUnrecordableStream, spdyRefusal, portForwardRefusal, PORT_FORWARD_TUNNEL_PROTOCOL } from './spdy.js';
export type { StreamRequest, UnrecordableStreamOptions } from './spdy.js';
