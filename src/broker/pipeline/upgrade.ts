/**
 * Upgrade requests: pods/exec and pods/attach over WebSocket are served through the exec relay,
 * pods/portforward over the WebSocket channel protocol through the port-forward relay, after the
 * same canonicalisation and guardrails as every other request. SPDY and the port-forward tunnel
 * are refused (the relays cannot decode them); every refusal is a Status on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { relayExec, relayPortForward, refuseUnrecordableStream, type ExecSessionSummary, type PortForwardSessionSummary, type RecentRefusals } from '../exec/index.js';
import { writeRawStatus } from '../raw-response.js';
import { badRequest, type StatusResponse } from '../../kube/status.js';
import type { Detector } from '../../mask/detectors.js';
import type { RequestDecision } from '../../policy/evaluate-request.js';
import type { ClassifiedRequest } from './classify.js';
import type { KnownValuesLookup } from './known-values.js';
import type { ExecRecording, PipelineOutcome } from './types.js';

/** What {@link serveUpgrade} needs beyond the request. */
export interface UpgradeContext {
  classified: ClassifiedRequest;
  decision: RequestDecision;
  /** The guardrail refusal, when the decision is not allow. */
  refusal?: StatusResponse;
  upstream: { url: string; ca: string };
  token: () => Promise<string>;
  detectors: readonly Detector[];
  refusals: RecentRefusals;
  /** The values of the pod's Secrets to mask in an exec or attach (known-values.ts). */
  knownValues: () => Promise<KnownValuesLookup>;
  /** Starts the session's recording, once the stream is known to be recordable. */
  record?: () => ExecRecording | undefined;
  /** Called when the relayed session opens. */
  onOpen?: () => void;
  /** Aborted (reason: why, a string) when kgate ends the open session: it closes with a last message of its protocol. */
  ending?: AbortSignal;
  log: (line: string) => void;
  now: () => Date;
}

/** How an upgrade ended, for audit. */
export interface UpgradeResult {
  outcome: PipelineOutcome;
  statusCode: number;
  maskedCount: number;
  error?: string;
  exec?: ExecSessionSummary;
  portForward?: PortForwardSessionSummary;
  recordingId?: string;
}

function refuse(socket: Duplex, status: StatusResponse, outcome: PipelineOutcome, error: string): UpgradeResult {
  writeRawStatus(socket, status);
  return { outcome, statusCode: status.code, maskedCount: 0, error };
}

/** Relays a port-forward: audited by its summary, never recorded (the payload is opaque). */
async function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, canonicalUrl: string, token: string, ctx: UpgradeContext): Promise<UpgradeResult> {
  const summary = await relayPortForward({
    req, socket, head, canonicalUrl,
    upstream: { url: ctx.upstream.url, ca: ctx.upstream.ca, token },
    log: ctx.log,
    ...(ctx.onOpen ? { onOpen: ctx.onOpen } : {}),
    ...(ctx.ending ? { ending: ctx.ending } : {}),
    now: ctx.now,
  });
  return {
    outcome: summary.refusedWith ? 'upstream-error' : 'forwarded',
    statusCode: summary.refusedWith ?? 101,
    maskedCount: 0,
    portForward: summary,
    ...(summary.error ? { error: summary.error } : {}),
  };
}

/** Serves one admitted, canonical upgrade request. */
export async function serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): Promise<UpgradeResult> {
  const { classified, decision } = ctx;
  const { info } = classified;
  if (classified.route !== 'connect') return refuse(socket, badRequest('kgate serves protocol upgrades only for pods/exec, pods/attach and pods/portforward'), 'refused', 'upgrade to a non-connect URL');
  if (ctx.refusal) return refuse(socket, ctx.refusal, decision.effect === 'approve' ? 'approval-required' : 'denied', decision.rule ?? 'guardrail');
  const canonicalUrl = classified.canonical.url;
  if (refuseUnrecordableStream({ req, socket, canonicalUrl, subresource: info.subresource, pod: info.name, refusals: ctx.refusals, log: ctx.log })) {
    return { outcome: 'refused', statusCode: 403, maskedCount: 0, error: 'unrecordable stream (SPDY, or port-forward outside the WebSocket channel protocol)' };
  }
  if (info.subresource === 'portforward') return servePortForward(req, socket, head, canonicalUrl, await ctx.token(), ctx);
  const known = await ctx.knownValues();
  if (!known.ok) {
    // kubectl's SPDY retry of this refused WebSocket gets the same answer (spdy.ts).
    ctx.refusals.remember(canonicalUrl, known.refusal);
    return refuse(socket, known.refusal, 'refused', known.reason);
  }
  const token = await ctx.token();
  const recording = ctx.record?.();
  const summary = await relayExec({
    req, socket, head, canonicalUrl,
    upstream: { url: ctx.upstream.url, ca: ctx.upstream.ca, token },
    detectors: ctx.detectors,
    ...(known.known ? { knownValues: known.known } : {}),
    ...(recording ? { recorder: recording.recorder } : {}),
    recordStdin: recording?.recordStdin ?? false,
    refusals: ctx.refusals,
    log: ctx.log,
    onEnd: () => undefined,
    ...(ctx.onOpen ? { onOpen: ctx.onOpen } : {}),
    ...(ctx.ending ? { ending: ctx.ending } : {}),
    now: ctx.now,
  });
  const recordingId = recording && !summary.refusedWith ? await recording.finish(summary) : undefined;
  return {
    outcome: summary.refusedWith ? 'upstream-error' : 'forwarded',
    statusCode: summary.refusedWith ?? 101,
    maskedCount: summary.maskedCount,
    exec: summary,
    ...(recordingId ? { recordingId } : {}),
    ...(summary.error ? { error: summary.error } : {}),
  };
}
