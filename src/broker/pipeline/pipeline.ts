/**
 * The broker's HTTP request pipeline, one stage per file: canonicalize → classify → decide →
 * rewrite → forward → mask → respond, with SelfSubjectAccessReviews answered by the guardrails
 * and pod connects handed to the exec relay. Plug `handle` and `upgrade` into
 * `startLoopbackListener`. Every request ends in exactly one audit record.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { RecentRefusals } from '../exec/index.js';
import type { RequestContext } from '../listener/server.js';
import { writeRawStatus } from '../raw-response.js';
import { badRequest, requestEntityTooLarge, statusResponse } from '../../kube/status.js';
import { createMasker, type Masker } from '../../mask/object-masker.js';
import type { RequestDecision } from '../../policy/evaluate-request.js';
import { answersLocally, MAX_REVIEW_BYTES, parseAccessReview, refusedReview } from './access-review.js';
import { canonicalStage } from './canonicalize.js';
import { classifyRequest, hasRequestBody, unreadableBodyRefusal, type ClassifiedRequest } from './classify.js';
import { decideGuardrails, decisionReason, guardrailRefusal, requestAttributes } from './decide.js';
import { createForwarder, type Forwarder } from './forward.js';
import { deliverResponse, sendStatus } from './mask.js';
import { planMasking } from './mask-plan.js';
import { upstreamHeaders } from './rewrite.js';
import { createTokenSource } from './token.js';
import type { PipelineAuditRecord, PipelineOptions } from './types.js';
import { serveUpgrade } from './upgrade.js';

/** A running pipeline. */
export interface Pipeline {
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): Promise<void>;
  /** Closes the upstream connection pool (open streams are ended). */
  close(): Promise<void>;
}

const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;

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

/** Builds the pipeline for one principal's session on one cluster. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? (() => new Date());
  const log = options.log;
  const tokens = createTokenSource(options.upstream.token, () => now().getTime());
  const forwarder: Forwarder = createForwarder(options.upstream.url, options.upstream.ca, tokens, options.upstream.headersTimeoutMs);
  const masker: Masker = createMasker(options.masking);
  const refusals = new RecentRefusals();
  const maxBuffered = options.maxBufferedBodyBytes ?? DEFAULT_MAX_BUFFERED;
  const user = options.principal.name;

  const finish = (audit: Audit): void => {
    try {
      options.onAudit({ ...audit, endedAt: now() });
    } catch (error) {
      log(`audit sink failed (${(error as Error).message})`);
    }
  };
  const decide = (classified: ClassifiedRequest): RequestDecision =>
    decideGuardrails(options.rules(), options.masking, options.principal, options.cluster, requestAttributes(classified.info, classified.command));

  async function forward(req: IncomingMessage, res: ServerResponse, classified: ClassifiedRequest, body: Readable | Buffer | undefined, audit: Audit): Promise<void> {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const result = await forwarder.forward({
      method: classified.canonical.method,
      url: classified.canonical.url,
      headers: (token) => upstreamHeaders(req.headers, token, audit.auditId),
      ...(body ? { body } : {}),
    }, abort.signal);
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
    const delivery = await deliverResponse({ res, response, plan, masker, auditId: audit.auditId, maxBufferedBodyBytes: maxBuffered });
    if (delivery.error) log(`response for ${classified.canonical.method} ${classified.info.path}: ${delivery.error}`);
    finish({
      ...audit,
      outcome: delivery.maskFailed ? 'mask-error' : 'forwarded',
      statusCode: delivery.statusCode,
      maskedCount: delivery.maskedCount,
      ...(delivery.error ? { error: delivery.error } : {}),
    });
  }

  async function accessReview(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, classified: ClassifiedRequest, audit: Audit): Promise<void> {
    const body = await readAll(ctx.body(), MAX_REVIEW_BYTES);
    if (!body) return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, requestEntityTooLarge(`limit is ${MAX_REVIEW_BYTES}`), audit.auditId) });
    const parsed = parseAccessReview(body, req.headers['content-type']);
    if (!parsed.ok) return finish({ ...audit, outcome: 'refused', statusCode: sendStatus(res, badRequest(parsed.reason), audit.auditId), error: parsed.reason });
    const decision = decideGuardrails(options.rules(), options.masking, options.principal, options.cluster, parsed.attributes);
    if (!answersLocally(decision)) return forward(req, res, classified, body, audit);
    const apiVersion = `authorization.k8s.io/${classified.info.apiVersion || 'v1'}`;
    const answer = JSON.stringify(refusedReview(parsed.review, apiVersion, decisionReason(decision)));
    res.writeHead(201, { 'Content-Type': 'application/json', 'Audit-Id': audit.auditId, 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
    finish({ ...audit, outcome: 'answered-locally', statusCode: 201, ...(decision.rule ? { rule: decision.rule } : {}) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const audit: Audit = { auditId: randomUUID(), method: req.method ?? '', decision: 'none', outcome: 'refused', statusCode: 0, maskedCount: 0, startedAt: now() };
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
    const refusal = guardrailRefusal(classified.info, user, decision);
    if (refusal) {
      return finish({ ...audit, outcome: decision.effect === 'approve' ? 'approval-required' : 'denied', statusCode: sendStatus(res, refusal, audit.auditId) });
    }
    if (classified.route === 'connect') {
      const status = statusResponse(400, 'BadRequest', `pods/${classified.info.subresource} needs a WebSocket upgrade`);
      return finish({ ...audit, statusCode: sendStatus(res, status, audit.auditId), error: 'connect without upgrade' });
    }
    if (classified.route === 'self-subject-access-review') return accessReview(req, res, ctx, classified, audit);
    return forward(req, res, classified, hasRequestBody(req.headers) ? ctx.body() : undefined, audit);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const audit: Audit = { auditId: randomUUID(), method: req.method ?? '', decision: 'none', outcome: 'refused', statusCode: 0, maskedCount: 0, startedAt: now() };
    const canonical = canonicalStage(req.method, req.url);
    if (!canonical.ok) {
      writeRawStatus(socket, canonical.refusal);
      return finish({ ...audit, statusCode: canonical.refusal.code, error: canonical.reason });
    }
    const classified = classifyRequest(canonical.request, req.headers);
    const decision = decide(classified);
    Object.assign(audit, { canonicalUrl: canonical.request.url, info: classified.info, decision: decision.effect, ...(decision.rule ? { rule: decision.rule } : {}) });
    const refusal = guardrailRefusal(classified.info, user, decision);
    const result = await serveUpgrade(req, socket, head, {
      classified, decision, ...(refusal ? { refusal } : {}),
      upstream: options.upstream, token: () => tokens.current(), detectors: masker.detectors, refusals, log, now,
    });
    finish({ ...audit, ...result });
  }

  return { handle, upgrade, close: () => forwarder.close() };
}
