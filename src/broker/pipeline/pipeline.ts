/**
 * The broker's HTTP request pipeline, one stage per file: canonicalize → classify → decide →
 * (hold) → rewrite → forward → mask → respond, with SelfSubjectAccessReviews answered by the guardrails
 * and pod connects handed to the exec relay. Plug `handle` and `upgrade` into
 * `startLoopbackListener`. Every request ends in exactly one audit record, and none is served
 * without it: a response whose record cannot be written is withheld (503 before it starts, a
 * reset after), and `admit` refuses new requests while the trail cannot take them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { RecentRefusals, unrecordableStreamRefusal } from '../exec/index.js';
import type { RequestContext } from '../listener/server.js';
import { writeRawStatus } from '../raw-response.js';
import { badRequest, forbidden, requestEntityTooLarge, statusResponse, type StatusResponse } from '../../kube/status.js';
import { endedRequestStatus } from '../../kube/stream-end.js';
import { maskerFor, maskerForTarget, type Masker } from '../../mask/object-masker.js';
import { createPatchGuard } from '../../mask/patch-guard.js';
import type { RequestDecision } from '../../policy/evaluate-request.js';
import { heldBodyProblem, heldRequestDetail, MAX_HELD_BODY_BYTES } from '../../policy/held-request.js';
import { answersLocally, MAX_REVIEW_BYTES, parseAccessReview, refusedReview } from './access-review.js';
import { canonicalStage } from './canonicalize.js';
import { classifyRequest, hasRequestBody, unreadableBodyRefusal, type ClassifiedRequest } from './classify.js';
import { decideGuardrails, decisionReason, guardrailRefusal, requestAttributes } from './decide.js';
import { createForwarder, type Forwarder } from './forward.js';
import { createKnownValuesSource } from './known-values.js';
import type { KnownValueSet } from '../../mask/known-value-stream.js';
import { deliverResponse, sendStatus, type Delivery } from './mask.js';
import { planMasking, streamsImmediately } from './mask-plan.js';
import { isJsonPatch, patchRefusal } from './patch-check.js';
import { upstreamHeaders } from './rewrite.js';
import { createTokenSource } from './token.js';
import type { PipelineAuditRecord, PipelineOptions } from './types.js';
import { serveUpgrade } from './upgrade.js';

/** A running pipeline. */
export interface Pipeline {
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): Promise<void>;
  /** Drops the cached upstream token: the next request mints one (e.g. for a fresh grant). */
  renewCredential(): void;
  /**
   * Ends every request still open (watches, followed logs, exec, attach, port-forward, holds) and
   * audits each with `reason` (e.g. `grant g-1 expired`): the grant or the caller's credential
   * ended. Each says so in band first, in its protocol's shape (src/kube/stream-end.ts): a Status
   * on the exec error channel, a watch ERROR event, a `kgate:` log line, port-forward error text,
   * a Status answer to a request still held or waiting for the apiserver.
   */
  terminate(reason: string): void;
  /** Waits for running handlers to finish their audit records, then closes the upstream pool. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;
/** How long a stream gets to say goodbye and close before it is cut. */
const FAREWELL_GRACE_MS = 10_000;

/** Sent in place of a response whose audit record could not be written. */
const UNRECORDED = statusResponse(503, 'ServiceUnavailable', 'kgate could not write the audit record of this request, so it withholds the response; requests are refused until the audit trail can be written');
/** Why kgate ended a stream whose start could not be recorded. */
const UNRECORDED_STREAM = 'its audit record could not be written';

type Audit = Omit<PipelineAuditRecord, 'endedAt'>;

function readAll(body: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        resolve(undefined);
      } else parts.push(chunk);
    });
    body.on('end', () => resolve(Buffer.concat(parts)));
    body.on('error', reject);
  });
}

/** One request in flight, as `terminate` ends it. */
interface Live {
  /** Set once the request was ended from outside, so its audit record says why. */
  endedBecause?: string;
  /**
   * How the stage serving the request ends it in band; without one the connection is cut. Set
   * while the request is held or waits for the apiserver (the handler answers a Status), and
   * once a watch, followed log, exec, attach or port-forward is under way.
   */
  farewell?: (reason: string) => void;
  end(reason: string): void;
}

/** Builds the pipeline for one principal's session on one cluster. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? (() => new Date());
  const log = options.log;
  const tokens = createTokenSource(options.upstream.token, () => now().getTime());
  const forwarder: Forwarder = createForwarder(options.upstream.url, options.upstream.ca, tokens, options.upstream.headersTimeoutMs);
  const masker: Masker = maskerFor(options.masking, options.principal.groups);
  const patchGuard = createPatchGuard(options.masking);
  const knownValues = createKnownValuesSource(forwarder, options.masking.secrets && !masker.exempt);
  const refusals = new RecentRefusals();
  const maxBuffered = options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED;
  const user = options.principal.name;
  const live = new Set<Live>();
  /**
   * Tracks a response or an upgraded socket until it closes. The signal aborts when the client
   * leaves before the end (ends a hold or the upstream request) or the request is terminated.
   */
  const follow = (stream: ServerResponse | Duplex): { signal: AbortSignal; entry: Live; wake: () => void } => {
    const abort = new AbortController();
    let cut: NodeJS.Timeout | undefined;
    const entry: Live = {
      end(reason) {
        if (entry.endedBecause !== undefined) return;
        entry.endedBecause = reason;
        if (!entry.farewell) {
          abort.abort();
          stream.destroy();
          return;
        }
        entry.farewell(reason);
        // A client that does not read the farewell must not keep the stream open.
        cut = setTimeout(() => {
          abort.abort();
          stream.destroy();
        }, FAREWELL_GRACE_MS);
        cut.unref();
      },
    };
    live.add(entry);
    stream.once('close', () => {
      clearTimeout(cut);
      live.delete(entry);
      if (!stream.writableFinished) abort.abort();
    });
    return { signal: abort.signal, entry, wake: () => abort.abort() };
  };

  /** Commits the request's audit record; false when it could not be written. */
  const commit = async (audit: Audit): Promise<boolean> => {
    try {
      await options.onAudit({ ...audit, endedAt: now() });
      return true;
    } catch (error) {
      log(`audit: the record of ${audit.auditId} could not be written (${(error as Error).message})`);
      return false;
    }
  };
  /** Records a request that served nothing: its refusal is sent whatever becomes of the record. */
  const finish = async (audit: Audit): Promise<void> => {
    await commit(audit);
  };
  /** Commits the ResponseStarted event of a long-running request; false when it could not be written. */
  const started = async (audit: Audit): Promise<boolean> => {
    try {
      await options.onResponseStarted?.(audit);
      return true;
    } catch (error) {
      log(`audit: the start of ${audit.auditId} could not be written (${(error as Error).message})`);
      return false;
    }
  };
  const decide = (classified: ClassifiedRequest): RequestDecision =>
    decideGuardrails(options.rules(), options.masking, options.principal, options.cluster, requestAttributes(classified.info, classified.command));

  /**
   * Applies an `approve` decision: holds the request until the approval is decided when a hold
   * is configured. Returns the refusal to send, or undefined to go on.
   */
  async function hold(classified: ClassifiedRequest, decision: RequestDecision, audit: Audit, signal: AbortSignal, held: { contentType?: string; body?: Buffer } = {}): Promise<StatusResponse | undefined> {
    const refusal = guardrailRefusal(classified.info, user, decision);
    if (!refusal || decision.effect !== 'approve' || !options.holdForApproval) return refusal;
    const outcome = await options.holdForApproval({
      auditId: audit.auditId,
      info: classified.info,
      command: classified.command,
      rule: decision.rule ?? 'guardrail',
      ...(decision.message ? { message: decision.message } : {}),
      exact: heldRequestDetail({ method: classified.canonical.method, url: classified.canonical.url, contentType: held.contentType, body: held.body }),
      signal,
    });
    if (outcome.approvalId) audit.approvalId = outcome.approvalId;
    return outcome.approved ? undefined : forbidden(classified.info, user, outcome.reason);
  }

  async function forward(req: IncomingMessage, res: ServerResponse, classified: ClassifiedRequest, body: Readable | Buffer | undefined, audit: Audit, signal: AbortSignal, entry?: Live, known?: KnownValueSet): Promise<void> {
    const ended = (): Promise<void> =>
      finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, endedRequestStatus(entry!.endedBecause!), audit.auditId), error: `ended by kgate: ${entry!.endedBecause}` });
    const result = await forwarder.forward({
      method: classified.canonical.method,
      url: classified.canonical.url,
      headers: (token) => upstreamHeaders(req.headers, token, audit.auditId),
      ...(body ? { body } : {}),
    }, signal);
    if (entry?.endedBecause) {
      if (result.ok) result.response.body.destroy();
      return ended();
    }
    if (!result.ok) {
      log(`upstream failed for ${classified.canonical.method} ${classified.info.path} (${result.reason})`);
      return finish({ ...audit, outcome: 'upstream-error', statusCode: sendStatus(res, result.refusal, audit.auditId), error: result.reason });
    }
    const { response } = result;
    const plan = planMasking(classified.info, {
      method: classified.canonical.method,
      statusCode: response.statusCode,
      contentType: response.headers['content-type'] as string | undefined,
      contentEncoding: response.headers['content-encoding'] as string | undefined,
    });
    if (streamsImmediately(plan) && !(await started({ ...audit, outcome: 'forwarded', statusCode: response.statusCode }))) {
      response.body.destroy();
      return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, UNRECORDED, audit.auditId), error: UNRECORDED_STREAM });
    }
    if (entry?.endedBecause) {
      response.body.destroy();
      return ended();
    }
    // A watch or followed log ends with a last message in its own framing; any other body, short-lived, is cut.
    const ending = new AbortController();
    if (entry) entry.farewell = streamsImmediately(plan) ? (reason) => ending.abort(reason) : undefined;
    const record = async (delivery: Delivery): Promise<StatusResponse | undefined> => {
      recorded = true;
      const error = entry?.endedBecause ? `ended by kgate: ${entry.endedBecause}` : delivery.error;
      const written = await commit({
        ...audit,
        outcome: delivery.maskFailed ? 'mask-error' : 'forwarded',
        statusCode: delivery.statusCode,
        maskedCount: delivery.maskedCount,
        ...(error ? { error } : {}),
      });
      return written ? undefined : UNRECORDED;
    };
    let recorded = false;
    const secretsStream = options.masking.secrets && !masker.exempt && classified.info.resource === 'secrets' && classified.info.subresource === '';
    const delivery = await deliverResponse({ res, response, plan, masker: maskerForTarget(masker, classified.info), auditId: audit.auditId, maxBufferedBodyBytes: maxBuffered, secretsStream, ...(known ? { knownValues: known } : {}), beforeEnd: record, ending: ending.signal });
    if (delivery.error) log(`response for ${classified.canonical.method} ${classified.info.path}: ${delivery.error}`);
    if (!recorded) await record(delivery);
  }

  async function accessReview(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, classified: ClassifiedRequest, audit: Audit, signal: AbortSignal): Promise<void> {
    const body = await readAll(ctx.body(), MAX_REVIEW_BYTES);
    if (!body) return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, requestEntityTooLarge(`limit is ${MAX_REVIEW_BYTES}`), audit.auditId) });
    const parsed = parseAccessReview(body, req.headers['content-type']);
    if (!parsed.ok) return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, badRequest(parsed.reason), audit.auditId), error: parsed.reason });
    const decision = decideGuardrails(options.rules(), options.masking, options.principal, options.cluster, parsed.attributes);
    if (!answersLocally(decision)) return forward(req, res, classified, body, audit, signal);
    const apiVersion = `authorization.k8s.io/${classified.info.apiVersion || 'v1'}`;
    const answer = JSON.stringify(refusedReview(parsed.review, apiVersion, decisionReason(decision, Boolean(options.holdForApproval))));
    if (!(await commit({ ...audit, outcome: 'answered-locally', statusCode: 201, ...(decision.rule ? { rule: decision.rule } : {}) }))) {
      sendStatus(res, UNRECORDED, audit.auditId);
      return;
    }
    res.writeHead(201, { 'Content-Type': 'application/json', 'Audit-Id': audit.auditId, 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const audit: Audit = { auditId: randomUUID(), method: req.method ?? '', decision: 'none', outcome: 'refused', statusCode: 0, maskedCount: 0, startedAt: now() };
    const unaudited = await options.admit?.();
    if (unaudited) {
      log(`refused a request: the audit trail cannot take it (${unaudited.code})`);
      sendStatus(res, unaudited, audit.auditId);
      return;
    }
    const canonical = canonicalStage(req.method, req.url);
    if (!canonical.ok) {
      log(`refused a request target (${canonical.reason})`);
      return finish({ ...audit, statusCode: sendStatus(res, canonical.refusal, audit.auditId), error: canonical.reason });
    }
    const classified = classifyRequest(canonical.request, req.headers);
    Object.assign(audit, { canonicalUrl: canonical.request.url, info: classified.info });
    const unreadable = unreadableBodyRefusal(req.headers);
    if (unreadable) return finish({ ...audit, statusCode: sendStatus(res, unreadable, audit.auditId), error: 'compressed request body' });
    const decision = decide(classified);
    Object.assign(audit, { decision: decision.effect, ...(decision.rule ? { rule: decision.rule } : {}) });
    let body: Readable | Buffer | undefined = hasRequestBody(req.headers) ? ctx.body() : undefined;
    // A JSON patch is read to see whether it would reveal a masked value (a caller who sees
    // everything unmasked has nothing to reveal; a denied request is refused anyway).
    const inspected = body !== undefined && decision.effect !== 'deny' && !masker.exempt && isJsonPatch(classified.canonical.method, req.headers);
    if (decision.effect === 'approve' && body && options.holdForApproval) {
      // A held body is read first: the approver approves these bytes, and the client's upload is
      // not left hanging. It must be small and readable text, or approvers could not check it.
      body = await readAll(body, MAX_HELD_BODY_BYTES);
      const problem = heldBodyProblem(body ?? Buffer.alloc(MAX_HELD_BODY_BYTES + 1));
      if (problem) {
        const status = problem.code === 413 ? requestEntityTooLarge(problem.message) : statusResponse(415, 'UnsupportedMediaType', problem.message);
        return finish({ ...audit, statusCode: sendStatus(res, status, audit.auditId), error: problem.code === 413 ? 'held body too large' : 'held body unreadable' });
      }
    } else if (inspected && body) {
      body = await readAll(body, maxBuffered);
      if (!body) return finish({ ...audit, statusCode: sendStatus(res, requestEntityTooLarge(`a JSON patch, which kgate reads before forwarding, is limited to ${maxBuffered} bytes`), audit.auditId) });
    }
    const revealing = inspected && Buffer.isBuffer(body) ? patchRefusal(patchGuard, classified.info, user, body) : undefined;
    if (revealing) {
      log(`refused a JSON patch on ${classified.info.path} that would reveal a masked value`);
      return finish({ ...audit, statusCode: sendStatus(res, revealing.status, audit.auditId), error: revealing.reason });
    }
    const { signal, entry, wake } = follow(res);
    // Until the response starts, an ended request is woken (hold, upstream call) and answered with a Status.
    entry.farewell = wake;
    const held = { ...(req.headers['content-type'] !== undefined ? { contentType: req.headers['content-type'] } : {}), ...(Buffer.isBuffer(body) ? { body } : {}) };
    const refusal = await hold(classified, decision, audit, signal, held);
    if (entry.endedBecause) return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, endedRequestStatus(entry.endedBecause), audit.auditId), error: `ended by kgate: ${entry.endedBecause}` });
    if (refusal) {
      const outcome = decision.effect === 'approve' ? 'approval-required' : 'denied';
      return finish({ ...audit, outcome, statusCode: sendStatus(res, refusal, audit.auditId) });
    }
    if (classified.route === 'connect') {
      const status = statusResponse(400, 'BadRequest', `pods/${classified.info.subresource} needs a WebSocket upgrade`);
      return finish({ ...audit, statusCode: sendStatus(res, status, audit.auditId), error: 'connect without upgrade' });
    }
    if (classified.route === 'self-subject-access-review') return accessReview(req, res, ctx, classified, audit, signal);
    const known = await knownValues.forRequest(classified.info, audit.auditId, signal);
    if (!known.ok) return finish({ ...audit, statusCode: sendStatus(res, known.refusal, audit.auditId), error: known.reason });
    return forward(req, res, classified, body, audit, signal, entry, known.known);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const audit: Audit = { auditId: randomUUID(), method: req.method ?? '', decision: 'none', outcome: 'refused', statusCode: 0, maskedCount: 0, startedAt: now() };
    const unaudited = await options.admit?.();
    if (unaudited) {
      log(`refused an upgrade: the audit trail cannot take it (${unaudited.code})`);
      writeRawStatus(socket, unaudited);
      return;
    }
    const canonical = canonicalStage(req.method, req.url);
    if (!canonical.ok) {
      writeRawStatus(socket, canonical.refusal);
      return finish({ ...audit, statusCode: canonical.refusal.code, error: canonical.reason });
    }
    const classified = classifyRequest(canonical.request, req.headers);
    const decision = decide(classified);
    Object.assign(audit, { canonicalUrl: canonical.request.url, info: classified.info, decision: decision.effect, ...(decision.rule ? { rule: decision.rule } : {}) });
    // Streams kgate cannot relay (SPDY, kubectl's port-forward tunnel, a port-forward without a
    // channel protocol) are refused whatever is decided, so they are never held: the SPDY retry
    // kubectl makes after a refused WebSocket gets that WebSocket's refusal again, not a second
    // approval request.
    const unrecordable = unrecordableStreamRefusal(req, { subresource: classified.info.subresource, pod: classified.info.name }) !== undefined;
    const replayed = unrecordable ? refusals.take(canonical.request.url) : undefined;
    if (replayed) {
      writeRawStatus(socket, replayed);
      return finish({ ...audit, outcome: decision.effect === 'allow' ? 'refused' : 'denied', statusCode: replayed.code, error: 'the SPDY retry of a refused WebSocket upgrade' });
    }
    const { signal, entry, wake } = follow(socket);
    entry.farewell = wake;
    const refusal = unrecordable ? guardrailRefusal(classified.info, user, decision) : await hold(classified, decision, audit, signal);
    if (entry.endedBecause) {
      const status = endedRequestStatus(entry.endedBecause);
      writeRawStatus(socket, status);
      return finish({ ...audit, outcome: 'refused', statusCode: status.code, error: `ended by kgate: ${entry.endedBecause}` });
    }
    // While the relay connects the stream is cut; once open, it ends with a last message of its protocol.
    entry.farewell = undefined;
    const ending = new AbortController();
    if (refusal && !unrecordable && decision.effect === 'approve') refusals.remember(canonical.request.url, refusal);
    const record = options.record;
    const result = await serveUpgrade(req, socket, head, {
      classified, decision, ...(refusal ? { refusal } : {}),
      upstream: options.upstream, token: () => tokens.current(), detectors: masker.detectors, refusals, log, now,
      knownValues: () => knownValues.forRequest(classified.info, audit.auditId, signal),
      ...(record ? { record: () => record({ auditId: audit.auditId, info: classified.info, command: classified.command }) } : {}),
      // The session is open before its start can be committed: one that cannot be recorded is ended.
      onOpen: () => {
        entry.farewell = (reason) => ending.abort(reason);
        void started({ ...audit, outcome: 'forwarded', statusCode: 101 }).then((written) => written || entry.end(UNRECORDED_STREAM));
      },
      ending: ending.signal,
    });
    await finish({ ...audit, ...result, ...(entry.endedBecause ? { error: `ended by kgate: ${entry.endedBecause}` } : {}) });
  }

  // Handlers still running (a relayed exec uploading its recording, a response being audited):
  // close waits for them so no audit record is cut off.
  const inflight = new Set<Promise<void>>();
  const track = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A): Promise<void> => {
    const running = fn(...args);
    inflight.add(running);
    void running.finally(() => inflight.delete(running)).catch(() => undefined);
    return running;
  };
  return {
    handle: track(handle),
    upgrade: track(upgrade),
    renewCredential: () => tokens.invalidate(),
    terminate: (reason) => {
      for (const entry of [...live]) entry.end(reason);
    },
    close: async () => {
      await Promise.allSettled([...inflight]);
      await forwarder.close();
    },
  };
}
