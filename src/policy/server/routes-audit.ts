/**
 * `/v1/audit/events` (batch ingest, idempotent by auditID and stage; search with filters and a cursor),
 * `/v1/audit/conflicts` (copies of stored events that arrived with other content) and
 * `/v1/recordings/:id` (exec recordings up and down). Callers ingest only events naming themselves
 * as the principal, and recordings only of their own exec sessions (recording-binding.ts), both
 * within their byte budgets (admission.ts). Governors see every event and recording; everyone else only their own (the
 * principal filter is forced to the caller).
 */
import type { AuditConflictQuery, AuditQuery } from '../store/types.js';
import { auditRecordOf } from './audit-records.js';
import type { Grant, Principal } from '../types.js';
import { KGATE_ANNOTATIONS } from '../../audit/event.js';
import { GATEWAY_ID_PREFIX } from '../../broker/gateway/store-audit.js';
import { isOwner } from './access.js';
import { accessOf } from './routes-gateway-credentials.js';
import { principalId } from '../types.js';
import { isGovernor } from './access.js';
import { parseJsonBody } from './body.js';
import type { ServiceContext } from './context.js';
import { badRequest, forbidden, notFound } from './errors.js';
import { AUDIT_BODY_LIMIT } from './limits.js';
import { checkExecSession } from './recording-binding.js';

export { auditRecordOf };
import { list, object, parseBody, record, required } from './input-schema.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';

/** Most events in one ingest batch. */
export const MAX_AUDIT_BATCH = 1000;

const batchSchema = object({ events: required(list(record(), { max: MAX_AUDIT_BATCH })) });
const SEARCH_KEYS = ['from', 'to', 'principal', 'grant', 'cluster', 'verb', 'resource', 'namespace', 'decision', 'session', 'limit', 'cursor'] as const;
const CONFLICT_KEYS = ['from', 'to', 'principal', 'session', 'limit', 'cursor'] as const;
const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class AuditRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** POST /v1/audit/events {events: [...]} → {accepted, duplicates} */
  async ingest(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    // Counted against the caller's audit budget as it arrives (429 past it).
    const { events } = parseBody(batchSchema, parseJsonBody(rc.req, (await this.ctx.admission.readAudit(rc.req, who, AUDIT_BODY_LIMIT)).data));
    const records = events.map(auditRecordOf);
    // A broker ships the events of its own user: nobody may put words in someone else's mouth.
    const caller = principalId(who);
    const foreign = records.findIndex((r) => r.principal !== caller);
    if (foreign >= 0) throw forbidden(`events[${foreign}] is not yours: its kgate.dev/principal must be ${caller}`);
    // One store read per grant a batch names, not one per event.
    const grants = new Map<string, Promise<Grant | undefined>>();
    for (const [i, record] of records.entries()) {
      // Chain hashes are unkeyed: an event joining a gateway session's chain (even past its end
      // marker, with a new end marker after it) would verify as the gateway's own.
      const session = (record.event as { annotations?: Record<string, unknown> }).annotations?.[KGATE_ANNOTATIONS.session];
      if (typeof session === 'string' && session.startsWith(GATEWAY_ID_PREFIX)) {
        throw forbidden(`events[${i}]: sessions starting with ${GATEWAY_ID_PREFIX} are the kgate gateway's; clients may not add to their audit chains`, 'gateway_mode');
      }
      await this.checkBrokerOwned(`events[${i}]`, record.id, record.grant, who, record.cluster, grants);
    }
    const result = await this.ctx.store.ingestAuditEvents(records);
    this.ctx.log.info({ principal: principalId(who), inserted: result.inserted, duplicates: result.duplicates }, 'audit batch');
    // Kept aside, not refused: a shipper whose event was pre-empted must not retry forever, and
    // the copy itself is evidence kgate audit verify shows.
    if (result.conflicts > 0) this.ctx.log.warn({ principal: principalId(who), conflicts: result.conflicts }, 'audit events conflicting with stored ones kept as conflicts');
    sendJson(rc.res, 200, { accepted: result.inserted, duplicates: result.duplicates, conflicts: result.conflicts });
  }

  /** GET /v1/audit/conflicts?from&to&principal&session&limit&cursor — same visibility as search. */
  async conflicts(rc: RouteContext, who: Principal): Promise<void> {
    const query = this.callerQuery<AuditConflictQuery>(rc, who, CONFLICT_KEYS, 'audit conflicts');
    const page = await this.ctx.store.queryAuditConflicts(query);
    sendJson(rc.res, 200, { items: page.items, ...(page.nextCursor ? { next: page.nextCursor } : {}) });
  }

  /** GET /v1/audit/events?from&to&principal&grant&cluster&verb&resource&namespace&decision&session&limit&cursor */
  async search(rc: RouteContext, who: Principal): Promise<void> {
    const query = this.callerQuery<AuditQuery>(rc, who, SEARCH_KEYS, 'audit events');
    const page = await this.ctx.store.queryAuditEvents(query);
    sendJson(rc.res, 200, { items: page.items.map((r) => r.event), ...(page.nextCursor ? { next: page.nextCursor } : {}) });
  }
  /**
   * A search route's query: the keys given (others refused), `limit` checked, and narrowed to the
   * caller's own records unless the caller governs the policy.
   */
  private callerQuery<Q extends { principal?: string; limit?: number }>(rc: RouteContext, who: Principal, keys: readonly string[], what: string): Q {
    checkQuery(rc.query, keys);
    const query: Record<string, string | number> = {};
    for (const key of keys) {
      const value = rc.query.get(key);
      if (value !== null && key !== 'limit') query[key] = value;
    }
    const limit = rc.query.get('limit');
    if (limit !== null) {
      if (!/^\d{1,4}$/.test(limit)) throw badRequest('limit: expected a whole number from 1 to 1000', 'invalid_query');
      query.limit = Number(limit);
    }
    const scoped = query as Q;
    if (!isGovernor(this.ctx.policy, who)) {
      if (scoped.principal && scoped.principal !== principalId(who)) throw forbidden(`You may search only your own ${what}`);
      scoped.principal = principalId(who);
    }
    return scoped;
  }


  /** PUT /v1/recordings/:id?grant=&cluster= (body: the recording, e.g. asciicast v2) */
  async putRecording(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['grant', 'cluster']);
    const id = this.recordingId(rc.params.id!);
    const grant = await this.checkBrokerOwned('the recording', id, rc.query.get('grant') ?? undefined, who, rc.query.get('cluster') ?? undefined);
    await checkExecSession(this.ctx.store, id, who, grant);
    // At most the size limit, counted as it streams in, and within the caller's recording budget.
    const upload = await this.ctx.admission.readRecording(rc.req, who);
    const contentType = (rc.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
    const meta = await this.ctx.store.putRecording(id, {
      contentType,
      principal: principalId(who),
      grant: grant.id,
      cluster: grant.cluster,
    }, upload.data).catch((error: unknown) => {
      upload.refund();
      throw error;
    });
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

  /**
   * What clients may write: events and recordings of their own grants on broker-mode clusters.
   * The gateway writes a gateway cluster's trail itself, under ids (`gw.`) no client may use, so
   * no caller can forge, pre-empt or overwrite it.
   */
  private async checkBrokerOwned(what: string, id: string, grantId: string | undefined, who: Principal, cluster?: string, grants = new Map<string, Promise<Grant | undefined>>()): Promise<Grant> {
    if (id.startsWith(GATEWAY_ID_PREFIX)) throw forbidden(`${what}: ids starting with ${GATEWAY_ID_PREFIX} belong to the kgate gateway`);
    if (grantId && !grants.has(grantId)) grants.set(grantId, this.ctx.store.getGrant(grantId));
    const grant = grantId ? await grants.get(grantId) : undefined;
    if (!grant) throw forbidden(`${what} must name one of your grants (kgate.dev/grant${grantId ? `; no grant ${grantId}` : ''})`);
    if (!isOwner(grant, who)) throw forbidden(`${what} names grant ${grant.id}, which is not yours`);
    if (cluster !== undefined && cluster !== grant.cluster) throw forbidden(`${what} names cluster ${cluster}, but grant ${grant.id} is for ${grant.cluster}`);
    if (accessOf(this.ctx, grant.cluster) === 'gateway') {
      throw forbidden(`${what}: cluster ${grant.cluster} is served through the kgate gateway, which writes its audit trail and recordings itself; clients may not`, 'gateway_mode');
    }
    return grant;
  }

  private recordingId(id: string): string {
    if (!RECORDING_ID.test(id)) throw badRequest('The recording id must be 1-128 letters, digits, ".", "_" or "-"', 'invalid_id');
    return id;
  }
}
