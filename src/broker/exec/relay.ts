/**
 * The broker's exec/attach relay (docs/k8s-protocol.md §5.5): the client's WebSocket is terminated here and a
 * new one is opened to the apiserver with the grant's credential, so every frame is decoded,
 * output is masked before anyone sees or records it, and the session is summarised for audit.
 *
 * Order matters: the apiserver is asked first, offering only the subprotocol chosen for the
 * client. If it refuses (404 pod, 400 bad container, 403 RBAC), the client gets that same status
 * and Status body on its raw socket, a clean upgrade failure for kubectl; only when the apiserver
 * has switched protocols is the client's upgrade accepted.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { negotiateProtocol } from '../../kube/channels.js';
import type { ChannelProtocol } from '../../kube/channels.js';
import { badRequest, statusResponse } from '../../kube/status.js';
import type { Detector } from '../../mask/detectors.js';
import type { KnownValueSet } from '../../mask/known-value-stream.js';
import { acceptClient, handshakeProblem, offeredProtocols } from './client-handshake.js';
import { parseExecTarget } from './exec-target.js';
import type { ExecTarget } from './exec-target.js';
import { writeRawStatus as writeUpgradeRefusal } from '../raw-response.js';
import type { RawResponse as UpgradeRefusal } from '../raw-response.js';
import { createOutputMasker } from './output-masker.js';
import type { RecentRefusals } from './refusal-memory.js';
import { pumpSession } from './session.js';
import type { ExecRecorder, SessionOutcome } from './session.js';
import { openUpstream } from './upstream.js';
import type { UpstreamTarget } from './upstream.js';

/** What {@link relayExec} needs for one upgrade request. */
export interface RelayExecOptions {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** The canonical path and query to forward (already authorised); the client's own URL is never used. */
  canonicalUrl: string;
  upstream: UpstreamTarget;
  /** Text detectors from policy, run over stdout and stderr. */
  detectors: readonly Detector[];
  /** The values of the Secrets the pod uses, masked exactly in its output. */
  knownValues?: KnownValueSet;
  recorder?: ExecRecorder;
  /** Whether stdin is handed to the recorder (policy decides). */
  recordStdin: boolean;
  /** Where refusals are kept for kubectl's SPDY fallback (spdy.ts). */
  refusals?: RecentRefusals;
  log: (line: string) => void;
  onEnd: (summary: ExecSessionSummary) => void;
  /** Called once both WebSockets are open, before any frame is relayed. */
  onOpen?: () => void;
  /** Aborted (reason: why) when kgate ends the open session; see SessionOptions.ending. */
  ending?: AbortSignal;
  now?: () => Date;
}

/** One relayed session (or refused attempt), for audit. */
export interface ExecSessionSummary {
  subresource: 'exec' | 'attach';
  namespace: string;
  pod: string;
  /** The framing in use; with no subprotocol offered it is `channel.k8s.io`. */
  protocol: ChannelProtocol | '';
  command: string[];
  container: string;
  tty: boolean;
  stdin: boolean;
  startedAt: Date;
  endedAt: Date;
  /** The command's exit code; null when unknown (refused, or the session broke off). */
  exitCode: number | null;
  bytesIn: number;
  bytesOut: number;
  maskedCount: number;
  /** The apiserver's WebSocket close code; null when no session was opened or the client left first. */
  closeCode: number | null;
  /** The HTTP status the client got when its upgrade was refused (by the apiserver or the relay). */
  refusedWith?: number;
  error?: string;
}

function skeleton(target: ExecTarget | undefined, startedAt: Date): Omit<ExecSessionSummary, 'endedAt' | 'protocol'> {
  return {
    subresource: target?.subresource ?? 'exec',
    namespace: target?.namespace ?? '',
    pod: target?.pod ?? '',
    command: target?.command ?? [],
    container: target?.container ?? '',
    tty: target?.tty ?? false,
    stdin: target?.stdin ?? false,
    startedAt,
    exitCode: null,
    bytesIn: 0,
    bytesOut: 0,
    maskedCount: 0,
    closeCode: null,
  };
}

/**
 * Relays one exec/attach WebSocket upgrade (call it from the listener's `upgrade` handler for
 * `pods/exec|attach` only; SPDY and port-forward belong to spdy.ts). Never throws: every failure
 * becomes an HTTP Status on the raw socket before the upgrade or a WebSocket close after it.
 * Resolves with the summary once both sockets are closed, after `onEnd` received it.
 */
export async function relayExec(opts: RelayExecOptions): Promise<ExecSessionSummary> {
  const now = opts.now ?? (() => new Date());
  const { req, socket, canonicalUrl, log } = opts;
  socket.on('error', () => undefined);
  const target = parseExecTarget(canonicalUrl);
  const base = skeleton(target, now());
  const end = (protocol: ExecSessionSummary['protocol'], facts: Partial<ExecSessionSummary>): ExecSessionSummary => {
    const summary: ExecSessionSummary = { ...base, protocol, ...facts, endedAt: now() };
    opts.onEnd(summary);
    return summary;
  };
  const refuse = (refusal: UpgradeRefusal, error: string): ExecSessionSummary => {
    log(`exec: refused the upgrade of ${target ? `${target.namespace}/${target.pod}` : 'a non-exec URL'} with ${refusal.code}: ${error}`);
    writeUpgradeRefusal(socket, refusal);
    return end('', { refusedWith: refusal.code, error });
  };

  if (!target) return refuse(badRequest('the exec relay serves only pods/exec and pods/attach'), 'not an exec or attach URL');
  const problem = handshakeProblem(req);
  if (problem) return refuse(badRequest(problem), problem);
  const negotiated = negotiateProtocol(offeredProtocols(req));
  if (!negotiated.ok) return refuse(statusResponse(403, 'Forbidden', negotiated.reason), negotiated.reason);

  const handshake = await openUpstream(opts.upstream, canonicalUrl, negotiated.header, req.headers['user-agent']);
  if (!handshake.ok) {
    if (handshake.upstreamStatus !== undefined && handshake.refusal.code === handshake.upstreamStatus) opts.refusals?.remember(canonicalUrl, handshake.refusal);
    return refuse(handshake.refusal, handshake.reason);
  }
  const upstream = handshake.ws;
  const client = await acceptClient(req, socket, opts.head, negotiated.header);
  if (!client) {
    upstream.close(1001, 'kgate: the client went away');
    return end(negotiated.protocol, { error: 'the client went away during the handshake' });
  }
  opts.onOpen?.();
  log(`exec: relaying ${target.subresource} ${target.namespace}/${target.pod} over ${negotiated.protocol}`);
  const outcome: SessionOutcome = await pumpSession({
    client,
    upstream,
    protocol: negotiated.protocol,
    output: createOutputMasker(opts.detectors, opts.knownValues),
    recorder: opts.recorder,
    recordStdin: opts.recordStdin,
    ...(opts.ending ? { ending: opts.ending } : {}),
    log,
  });
  return end(negotiated.protocol, {
    exitCode: outcome.exit?.exitCode ?? null,
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
    maskedCount: outcome.maskedCount,
    closeCode: outcome.closeCode,
    ...(outcome.error ? { error: outcome.error } : {}),
  });
}
