/**
 * `/v1/audit/events` (batch ingest, idempotent by auditID and stage; search with filters and a cursor) and
 * `/v1/recordings/:id` (exec recordings up and down). Callers ingest only events naming themselves
 * as the principal. Governors see every event and recording; everyone else only their own (the
 * principal filter is forced to the caller).
 */
import type { AuditEventRecord, AuditQuery } from '../store/types.js';
import type { Principal } from '../types.js';
import { principalId } from '../types.js';
import { isGovernor } from './access.js';
import { readJsonBody, readLimited } from './body.js';
import type { ServiceContext } from './context.js';
import { badRequest, forbidden, notFound } from './errors.js';
import { list, object, parseBody, record, required } from './input-schema.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';
import { AUDIT_ANNOTATIONS } from './service-audit.js';

/** Most events in one ingest batch. */
export const MAX_AUDIT_BATCH = 1000;
/** A batch of 1000 events of ~4 KiB each. */
const AUDIT_BODY_LIMIT = 8 * 1024 * 1024;
/** Largest recording the API reads (the store has its own, possibly lower, limit). */
const RECORDING_BODY_LIMIT = 64 * 1024 * 1024;

const batchSchema = object({ events: required(list(record(), { max: MAX_AUDIT_BATCH })) });
const SEARCH_KEYS = ['from', 'to', 'principal', 'grant', 'cluster', 'verb', 'resource', 'namespace', 'decision', 'session', 'limit', 'cursor'] as const;
const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** Pulls the searchable facts out of an `audit.k8s.io/v1` Event with kgate annotations. */
export function auditRecordOf(event: Record<string, unknown>, index: number): AuditEventRecord {
  const auditId = text(event.auditID);
  if (!auditId) throw badRequest(`events[${index}].auditID is required (a unique id per event)`, 'invalid_field');
  // A long-running request has a ResponseStarted and a ResponseComplete event with one auditID,
  // as in the apiserver's own log; each stage is its own record (ingest is idempotent per stage).
  const stage = text(event.stage);
  const id = !stage || stage === 'ResponseComplete' ? auditId : `${auditId}.${stage}`;
  const time = text(event.stageTimestamp) ?? text(event.requestReceivedTimestamp);
  if (!time) throw badRequest(`events[${index}] needs stageTimestamp or requestReceivedTimestamp`, 'invalid_field');
  const annotations = (event.annotations ?? {}) as Record<string, unknown>;
  const objectRef = (event.objectRef ?? {}) as Record<string, unknown>;
  const resource = text(objectRef.resource);
  const subresource = text(objectRef.subresource);
  return {
    id,
    time,
    principal: text(annotations[AUDIT_ANNOTATIONS.principal]),
    grant: text(annotations[AUDIT_ANNOTATIONS.grant]),
    cluster: text(annotations[AUDIT_ANNOTATIONS.cluster]),
    verb: text(event.verb),
    resource: resource && subresource ? `${resource}/${subresource}` : resource,
    namespace: text(objectRef.namespace),
    decision: text(annotations[AUDIT_ANNOTATIONS.decision]),
    event,
  };
}

export class AuditRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** POST /v1/audit/events {events: [...]} → {accepted, duplicates} */
  async ingest(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const { events } = parseBody(batchSchema, await readJsonBody(rc.req, AUDIT_BODY_LIMIT));
    const records = events.map(auditRecordOf);
    // A broker ships the events of its own user: nobody may put words in someone else's mouth.
    const caller = principalId(who);
    const foreign = records.findIndex((r) => r.principal !== caller);
    if (foreign >= 0) throw forbidden(`events[${foreign}] is not yours: its kgate.dev/principal must be ${caller}`);
    const result = await this.ctx.store.ingestAuditEvents(records);
    this.ctx.log.info({ principal: principalId(who), inserted: result.inserted, duplicates: result.duplicates }, 'audit batch');
    sendJson(rc.res, 200, { accepted: result.inserted, duplicates: result.duplicates });
  }

  /** GET /v1/audit/events?from&to&principal&grant&cluster&verb&resource&namespace&decision&session&limit&cursor */
  async search(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, SEARCH_KEYS);
    const query: AuditQuery = {};
    for (const key of SEARCH_KEYS) {
      const value = rc.query.get(key);
      if (value === null || key === 'limit') continue;
      query[key] = value;
    }
    const limit = rc.query.get('limit');
    if (limit !== null) {
      if (!/^\d{1,4}$/.test(limit)) throw badRequest('limit: expected a whole number from 1 to 1000', 'invalid_query');
      query.limit = Number(limit);
    }
    if (!isGovernor(this.ctx.policy, who)) {
      if (query.principal && query.principal !== principalId(who)) throw forbidden('You may search only your own audit events');
      query.principal = principalId(who);
    }
    const page = await this.ctx.store.queryAuditEvents(query);
    sendJson(rc.res, 200, { items: page.items.map((r) => r.event), ...(page.nextCursor ? { next: page.nextCursor } : {}) });
  }

  /** PUT /v1/recordings/:id?grant=&cluster= (body: the recording, e.g. asciicast v2) */
  async putRecording(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['grant', 'cluster']);
    const id = this.recordingId(rc.params.id!);
    const data = await readLimited(rc.req, RECORDING_BODY_LIMIT);
    const contentType = (rc.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
    const meta = await this.ctx.store.putRecording(id, {
      contentType,
      principal: principalId(who),
      ...(rc.query.get('grant') ? { grant: rc.query.get('grant')! } : {}),
      ...(rc.query.get('cluster') ? { cluster: rc.query.get('cluster')! } : {}),
    }, data);
    sendJson(rc.res, 201, meta);
  }

  /** GET /v1/recordings/:id — the uploader or a governor. */
  async getRecording(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const id = this.recordingId(rc.params.id!);
    const recording = await this.ctx.store.getRecording(id);
    if (!recording) throw notFound(`No recording ${id}`);
    if (recording.meta.principal !== principalId(who) && !isGovernor(this.ctx.policy, who)) throw forbidden(`Recording ${id} is not yours`);
    rc.res.writeHead(200, {
      'content-type': recording.meta.contentType,
      'content-length': String(recording.data.length),
      'cache-control': 'no-store',
      'x-kgate-sha256': recording.meta.sha256,
    });
    rc.res.end(recording.data);
  }

  private recordingId(id: string): string {
    if (!RECORDING_ID.test(id)) throw badRequest('The recording id must be 1-128 letters, digits, ".", "_" or "-"', 'invalid_id');
    return id;
  }
}
