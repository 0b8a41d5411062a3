/**
 * The REST storage handlers for stored types: get, list, watch, create, update, patch, delete and
 * deletecollection, plus the status/finalize/ephemeralcontainers subresources, with the
 * apiserver's preconditions, defaulting, dry-run and managed-fields bookkeeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeObjectBody, decodePatchBody, mediaTypeOf, readBody } from './body.js';
import { decodePatched } from './decode.js';
import { defaultForCreate, defaultForUpdate, generateName, invalid, validateObject } from './defaults.js';
import { applyConflicts, changedFields, fieldsOf, managedFieldsOf, recordApply, recordManager, removeFields, subtract, takeOwnership, type FieldConflict } from './managed-fields.js';
import { goBool } from './request-info.js';
import { startNamespaceTermination } from './namespace-lifecycle.js';
import { applyMerge, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, keyOf, type ResourceType } from './resources.js';
import { badRequest, isMetaTarget, methodNotAllowed, negotiate, writeObject, type ConversionKind, type Negotiated } from './respond.js';
import { objectMatcher } from './selectors.js';
import { conflict, notFound, rfc3339 } from './store.js';
import { asPartialObjectMetadata, asPartialObjectMetadataList, parseIncludeObject, toTable } from './table.js';
import { StatusError, type KubeObject, type ObjectStore, type RequestInfo, type UserInfo } from './types.js';
import { serveWatch } from './watch.js';

/** Everything a storage handler needs for one authorized request. */
export interface RestRequest {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  store: ObjectStore;
  type: ResourceType;
  /** Namespace of the object ('' for cluster-scoped types and all-namespace lists). */
  namespace: string;
  now: () => Date;
  log: (line: string) => void;
  bookmarkIntervalMs: number;
  track: (end: () => void) => () => void;
  /** A second authorization check (create on PUT/apply of a missing object); throws 403. */
  authorize: (verb: string) => void;
  /** Schedules work the server cancels on close. */
  defer: (ms: number, work: () => void) => void;
}

const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function negotiateFor(r: RestRequest, kinds: readonly ConversionKind[]) {
  return negotiate(r.req.headers.accept, (t) => isMetaTarget(t, kinds));
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

function checkFieldValidation(query: URLSearchParams): void {
  const value = query.get('fieldValidation');
  if (value !== null && value !== '' && !['Ignore', 'Warn', 'Strict'].includes(value)) {
    throw badRequest(`fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`);
  }
}

function fieldManager(r: RestRequest): string {
  const explicit = r.query.get('fieldManager');
  if (explicit) return explicit;
  const agent = String(r.req.headers['user-agent'] ?? '');
  return agent.split('/')[0]!.slice(0, 128) || 'unknown';
}

function matcherFor(r: RestRequest) {
  return objectMatcher({
    namespace: r.type.namespaced ? r.namespace : '',
    name: r.info.verb === 'watch' && r.info.parts.length >= 2 ? r.info.parts[1]! : '',
    fieldSelector: r.query.get('fieldSelector') ?? '',
    labelSelector: r.query.get('labelSelector') ?? '',
    selectableFields: r.type.selectableFields ?? [],
  });
}

/** Reads and type-checks an object body against the URL (kind, apiVersion, namespace). */
async function readObject(r: RestRequest): Promise<KubeObject> {
  const body = await decodeObjectBody(await readBody(r.req), mediaTypeOf(r.req), r.log);
  const expected = apiVersionOf(r.type);
  if ((body.kind && body.kind !== r.type.kind) || (body.apiVersion && body.apiVersion !== expected)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${r.type.kind}): ${body.apiVersion ?? ''}, Kind=${body.kind ?? ''}`);
  }
  const metadata = (body.metadata && typeof body.metadata === 'object' ? body.metadata : {}) as KubeObject['metadata'];
  const object = { ...body, apiVersion: expected, kind: r.type.kind, metadata: { ...metadata } } as KubeObject;
  placeNamespace(r, object);
  return object;
}

function placeNamespace(r: RestRequest, object: KubeObject): void {
  if (!r.type.namespaced) {
    delete object.metadata.namespace;
    return;
  }
  if (object.metadata.namespace && object.metadata.namespace !== r.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  object.metadata.namespace = r.namespace;
}

function ensureNamespaceAccepts(r: RestRequest, name: string): void {
  if (!r.type.namespaced) return;
  const ns = r.store.get({ group: '', resource: 'namespaces' }, '', r.namespace);
  if (!ns) throw notFound({ group: '', resource: 'namespaces' }, r.namespace);
  if (ns.metadata.deletionTimestamp) {
    throw new StatusError(403, 'Forbidden', `${r.type.resource} "${name}" is forbidden: unable to create new content in namespace ${r.namespace} because it is being terminated`, {
      name, kind: r.type.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${r.namespace} is being terminated`, field: 'metadata.namespace' }],
    });
  }
}

function withManager(r: RestRequest, object: KubeObject, before: KubeObject | undefined, operation: 'Apply' | 'Update', subresource = ''): void {
  const fields = operation === 'Apply' ? fieldsOf(object) : changedFields(before, object);
  object.metadata.managedFields = recordManager(before ? managedFieldsOf(before) : [], {
    manager: fieldManager(r), operation, apiVersion: apiVersionOf(r.type), time: rfc3339(r.now()), fieldsV1: fields,
    ...(subresource ? { subresource } : {}),
  });
}

/** Stores a new object (POST, or PUT/apply of a missing one) and answers 201. */
function createObject(r: RestRequest, object: KubeObject, negotiated: Negotiated, operation: 'Apply' | 'Update' = 'Update'): void {
  if (object.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
  if (!object.metadata.name && typeof object.metadata.generateName === 'string' && object.metadata.generateName) {
    object.metadata.name = generateName(object.metadata.generateName);
  }
  for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink']) delete object.metadata[field];
  defaultForCreate(r.type, object);
  validateObject(r.type, object);
  ensureNamespaceAccepts(r, object.metadata.name);
  const applied = operation === 'Apply' ? fieldsOf(object) : undefined;
  withManager(r, object, undefined, operation);
  if (applied) object.metadata.managedFields = [{ ...managedFieldsOf(object)[0]!, fieldsV1: applied }];
  const dryRun = isDryRun(r.query);
  const created = dryRun ? dryRunCreated(r, object) : r.store.create(keyOf(r.type), object);
  writeSingle(r, 201, created, negotiated);
}

function dryRunCreated(r: RestRequest, object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, uid: crypto.randomUUID(), creationTimestamp: rfc3339(r.now()) } };
}

/** Persists a changed object (or just returns it under dryRun). */
function storeUpdate(r: RestRequest, object: KubeObject): KubeObject {
  defaultForUpdate(r.type, object);
  validateObject(r.type, object);
  return isDryRun(r.query) ? object : r.store.update(keyOf(r.type), object);
}

function current(r: RestRequest, name: string): KubeObject {
  const found = r.store.get(keyOf(r.type), r.namespace, name);
  if (!found) throw notFound(keyOf(r.type), name);
  return found;
}

function sameInstant(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? undefined) === (b ?? undefined);
  return Date.parse(String(a)) === Date.parse(String(b));
}

/**
 * What rest.BeforeUpdate and ValidateObjectMetaUpdate do with the deletion fields on every update
 * and patch (server-side apply too): the stored deletion state is kept when the write leaves it
 * out, and a write that sets or changes it is refused as immutable. Only DELETE starts a deletion,
 * so a namespace patched with a deletionTimestamp stays Active.
 */
function keepDeletionState(r: RestRequest, existing: KubeObject, next: KubeObject): KubeObject {
  const before = existing.metadata;
  const metadata = { ...next.metadata };
  if (before.deletionTimestamp) metadata.deletionTimestamp = before.deletionTimestamp;
  if (before.deletionGracePeriodSeconds !== undefined && (metadata.deletionGracePeriodSeconds ?? undefined) === undefined) metadata.deletionGracePeriodSeconds = before.deletionGracePeriodSeconds;
  const errors = [];
  if (!sameInstant(metadata.deletionTimestamp, before.deletionTimestamp)) {
    errors.push({ type: 'FieldValueInvalid' as const, field: 'metadata.deletionTimestamp', value: String(metadata.deletionTimestamp), detail: 'field is immutable' });
  }
  if ((metadata.deletionGracePeriodSeconds ?? undefined) !== (before.deletionGracePeriodSeconds ?? undefined)) {
    errors.push({ type: 'FieldValueInvalid' as const, field: 'metadata.deletionGracePeriodSeconds', value: String(metadata.deletionGracePeriodSeconds), detail: 'field is immutable' });
  }
  if (errors.length) throw invalid(r.type, before.name, errors);
  return { ...next, metadata };
}

/** Keeps what a write through the main resource may not change (status) or a subresource may (only its part). */
function scopeToSubresource(r: RestRequest, existing: KubeObject, next: KubeObject): KubeObject {
  const sub = r.info.subresource;
  if (sub === 'status') return { ...existing, status: next.status };
  if (sub === 'ephemeralcontainers') return { ...existing, spec: { ...(existing.spec as object), ephemeralContainers: (next.spec as Record<string, unknown> | undefined)?.ephemeralContainers } };
  if (sub === 'finalize') return { ...existing, spec: { ...(existing.spec as object), finalizers: (next.spec as Record<string, unknown> | undefined)?.finalizers ?? [] } };
  const keepsStatus = r.type.subresources.some((s) => s.name === 'status');
  return keepsStatus && 'status' in existing ? { ...next, status: existing.status } : next;
}

/** Negotiates the response for one object: Table and PartialObjectMetadata conversions are allowed on every verb. */
function negotiateSingle(r: RestRequest): Negotiated {
  return negotiateFor(r, ['Table', 'PartialObjectMetadata']);
}

/** Writes one object in the negotiated form (transformResponseObject). */
function writeSingle(r: RestRequest, code: number, object: KubeObject, negotiated: Negotiated): void {
  const target = negotiated.target;
  if (target?.kind === 'Table') {
    writeObject(r.req, r.res, code, toTable(r.type, [object], { version: target.version, includeObject: parseIncludeObject(r.query.get('includeObject')), now: r.now(), listMeta: { resourceVersion: object.metadata.resourceVersion } }));
  } else if (target?.kind === 'PartialObjectMetadata') {
    writeObject(r.req, r.res, code, asPartialObjectMetadata(object, target.version));
  } else writeObject(r.req, r.res, code, object, negotiated);
}

async function handleGet(r: RestRequest, name: string): Promise<void> {
  const object = current(r, name);
  writeSingle(r, 200, object, negotiateSingle(r));
}

interface ContinueToken { rv: string; start: string }

function paginate(r: RestRequest, items: KubeObject[], resourceVersion: string): { items: KubeObject[]; meta: Record<string, unknown> } {
  const limit = Number(r.query.get('limit') ?? 0);
  const token = r.query.get('continue');
  let start = 0;
  let rv = resourceVersion;
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString()) as ContinueToken;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
    rv = parsed.rv;
    start = items.findIndex((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > parsed.start);
    if (start < 0) start = items.length;
  }
  if (!(limit > 0) || start + limit >= items.length) return { items: items.slice(start), meta: { resourceVersion: rv } };
  const page = items.slice(start, start + limit);
  const last = page[page.length - 1]!;
  const next = Buffer.from(JSON.stringify({ rv, start: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64url');
  return { items: page, meta: { resourceVersion: rv, continue: next, remainingItemCount: items.length - start - limit } };
}

async function handleList(r: RestRequest): Promise<void> {
  const negotiated = negotiateFor(r, ['Table', 'PartialObjectMetadataList']);
  if (r.query.get('resourceVersionMatch') === 'Exact') r.log(`list ${r.type.resource} with resourceVersionMatch=Exact served from the current state`);
  if (r.query.has('sendInitialEvents')) throw badRequest('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
  const matches = matcherFor(r);
  const { items: all, resourceVersion } = r.store.list(keyOf(r.type), r.type.namespaced ? r.namespace : '');
  const { items, meta } = paginate(r, all.filter(matches), resourceVersion);
  const target = negotiated.target;
  if (target?.kind === 'Table') {
    writeObject(r.req, r.res, 200, toTable(r.type, items, { version: target.version, includeObject: parseIncludeObject(r.query.get('includeObject')), now: r.now(), listMeta: meta }));
    return;
  }
  if (target?.kind === 'PartialObjectMetadataList') {
    writeObject(r.req, r.res, 200, asPartialObjectMetadataList(items, target.version, meta));
    return;
  }
  const bare = items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
  writeObject(r.req, r.res, 200, { kind: r.type.listKind, apiVersion: apiVersionOf(r.type), metadata: meta, items: bare }, negotiated);
}

async function handleCreate(r: RestRequest): Promise<void> {
  const negotiated = negotiateSingle(r);
  checkFieldValidation(r.query);
  createObject(r, await readObject(r), negotiated);
}

async function handleUpdate(r: RestRequest, name: string): Promise<void> {
  const negotiated = negotiateSingle(r);
  checkFieldValidation(r.query);
  const object = await readObject(r);
  if (object.metadata.name !== name) throw badRequest(`the name of the object (${object.metadata.name ?? ''}) does not match the name on the URL (${name})`);
  const existing = r.store.get(keyOf(r.type), r.namespace, name);
  if (!existing) {
    if (!r.type.allowCreateOnUpdate || r.info.subresource) throw notFound(keyOf(r.type), name);
    r.authorize('create');
    createObject(r, object, negotiated);
    return;
  }
  const next = keepDeletionState(r, existing, scopeToSubresource(r, existing, object));
  next.metadata = { ...next.metadata, resourceVersion: object.metadata.resourceVersion, managedFields: existing.metadata.managedFields };
  withManager(r, next, existing, 'Update', r.info.subresource);
  writeSingle(r, 200, storeUpdate(r, next), negotiated);
  if (r.type.resource === 'namespaces' && r.info.subresource === 'finalize') r.log(`namespace ${name} finalizers updated`);
}

function applyPatch(r: RestRequest, existing: KubeObject, type: string, patch: unknown): KubeObject {
  switch (type) {
    case 'application/merge-patch+json': return mergePatch(existing, patch) as KubeObject;
    case 'application/strategic-merge-patch+json': return strategicMergePatch(existing, patch as Record<string, unknown>) as KubeObject;
    case 'application/json-patch+json': return jsonPatch(existing, patch as unknown[]) as KubeObject;
    default: return applyMerge(existing, patch as Record<string, unknown>) as KubeObject;
  }
}

function checkApplyConfiguration(r: RestRequest, applied: Record<string, unknown>, name: string): void {
  if (!r.query.get('fieldManager')) throw new StatusError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`);
  if (applied.kind !== r.type.kind || applied.apiVersion !== apiVersionOf(r.type)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${r.type.kind})`);
  }
  const meta = (applied.metadata ?? {}) as Record<string, unknown>;
  if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name ?? '')}) does not match the name on the URL (${name})`);
}

function conflictError(conflicts: FieldConflict[]): StatusError {
  const byManager = new Map<string, FieldConflict[]>();
  for (const c of conflicts) byManager.set(`"${c.manager}" using ${c.apiVersion}`, [...(byManager.get(`"${c.manager}" using ${c.apiVersion}`) ?? []), c]);
  const parts = [...byManager.entries()].map(([who, list]) => (list.length === 1 ? `conflict with ${who}: ${list[0]!.path}` : `conflicts with ${who}:\n${list.map((c) => `- ${c.path}`).join('\n')}`));
  const count = conflicts.length === 1 ? '1 conflict' : `${conflicts.length} conflicts`;
  return new StatusError(409, 'Conflict', `Apply failed with ${count}: ${parts.join('\n')}`, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.path })),
  });
}

/**
 * Server-side apply onto an existing object: 409 on fields another manager owns with a different
 * value (unless force), merge, then drop what this manager applied before but no longer does.
 */
function serverSideApply(r: RestRequest, existing: KubeObject, applied: Record<string, unknown>): KubeObject {
  const manager = fieldManager(r);
  let entries = managedFieldsOf(existing);
  const appliedFields = fieldsOf(applied);
  const conflicts = applyConflicts(entries, manager, applied, existing);
  if (conflicts.length && goBool(r.query, 'force') !== true) throw conflictError(conflicts);
  if (conflicts.length) entries = takeOwnership(entries, manager, appliedFields);
  const previous = entries.find((e) => e.manager === manager && e.operation === 'Apply')?.fieldsV1 ?? {};
  const others = entries.filter((e) => !(e.manager === manager && e.operation === 'Apply'));
  const next = applyMerge(existing, applied) as KubeObject;
  let stale = subtract(previous, appliedFields);
  for (const other of others) stale = subtract(stale, other.fieldsV1);
  removeFields(next, stale);
  next.metadata = { ...next.metadata, managedFields: recordApply(entries, { manager, apiVersion: apiVersionOf(r.type), time: rfc3339(r.now()), fieldsV1: appliedFields }) };
  return next;
}

async function handlePatch(r: RestRequest, name: string): Promise<void> {
  const negotiated = negotiateSingle(r);
  checkFieldValidation(r.query);
  const { type, patch } = decodePatchBody(await readBody(r.req), mediaTypeOf(r.req));
  const existing = r.store.get(keyOf(r.type), r.namespace, name);
  if (type === 'application/apply-patch+yaml') {
    const applied = patch as Record<string, unknown>;
    checkApplyConfiguration(r, applied, name);
    if (!existing) {
      if (r.info.subresource) throw notFound(keyOf(r.type), name);
      r.authorize('create');
      const object = structuredClone(applied) as KubeObject;
      placeNamespace(r, object);
      createObject(r, object, negotiated, 'Apply');
      return;
    }
    const next = scopeToSubresource(r, existing, serverSideApply(r, existing, applied));
    writeSingle(r, 200, storeUpdate(r, keepDeletionState(r, existing, preserveIdentity(existing, next))), negotiated);
    return;
  }
  if (!existing) throw notFound(keyOf(r.type), name);
  const applied = applyPatch(r, existing, type, patch);
  // JSON and merge patches are applied to JSON and then decoded into the type (patch.go jsonPatcher).
  const decoded = type === 'application/json-patch+json' || type === 'application/merge-patch+json' ? decodePatched(applied, r.query.get('fieldValidation')) : applied;
  const patched = preserveIdentity(existing, decoded);
  const next = keepDeletionState(r, existing, scopeToSubresource(r, existing, patched));
  next.metadata = { ...next.metadata, resourceVersion: patched.metadata.resourceVersion };
  withManager(r, next, existing, 'Update', r.info.subresource);
  writeSingle(r, 200, storeUpdate(r, next), negotiated);
}

/** A patch may not rename or move an object; the apiserver resets identity and checks the precondition. */
function preserveIdentity(existing: KubeObject, patched: KubeObject): KubeObject {
  const metadata = (patched.metadata ?? {}) as KubeObject['metadata'];
  if (metadata.uid && metadata.uid !== existing.metadata.uid) {
    throw new StatusError(409, 'Conflict', `Precondition failed: UID in precondition: ${metadata.uid}, UID in object meta: ${existing.metadata.uid}`);
  }
  return {
    ...patched, kind: existing.kind, apiVersion: existing.apiVersion,
    metadata: { ...metadata, name: existing.metadata.name, ...(existing.metadata.namespace ? { namespace: existing.metadata.namespace } : {}), resourceVersion: metadata.resourceVersion ?? existing.metadata.resourceVersion },
  };
}

interface DeleteOptions { propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: string[] }

async function readDeleteOptions(r: RestRequest): Promise<DeleteOptions> {
  const raw = await readBody(r.req);
  const body = raw.length ? ((await decodeObjectBody(raw, mediaTypeOf(r.req), r.log)) as DeleteOptions) : {};
  const policy = r.query.get('propagationPolicy') ?? body.propagationPolicy;
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    throw new StatusError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  for (const v of body.dryRun ?? []) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  if (body.dryRun?.length) r.query.append('dryRun', 'All');
  return { ...body, ...(policy ? { propagationPolicy: policy } : {}) };
}

function checkPreconditions(r: RestRequest, object: KubeObject, options: DeleteOptions): void {
  const { uid, resourceVersion } = options.preconditions ?? {};
  if (uid && uid !== object.metadata.uid) {
    throw conflict(keyOf(r.type), object.metadata.name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${object.metadata.uid}`);
  }
  if (resourceVersion && resourceVersion !== object.metadata.resourceVersion) {
    throw conflict(keyOf(r.type), object.metadata.name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion}`);
  }
}

async function handleDelete(r: RestRequest, name: string): Promise<void> {
  const negotiated = negotiateSingle(r);
  const options = await readDeleteOptions(r);
  const existing = current(r, name);
  checkPreconditions(r, existing, options);
  const dryRun = isDryRun(r.query);
  if (r.type.group === '' && r.type.resource === 'namespaces') {
    if (IMMORTAL_NAMESPACES.has(name)) throw new StatusError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    writeSingle(r, 200, dryRun ? existing : startNamespaceTermination(r.store, existing, r.now(), r.defer, r.log), negotiated);
    return;
  }
  writeSingle(r, 200, dryRun ? existing : r.store.delete(keyOf(r.type), r.namespace, name), negotiated);
}

async function handleDeleteCollection(r: RestRequest): Promise<void> {
  negotiateFor(r, ['PartialObjectMetadataList']);
  await readDeleteOptions(r);
  const matches = matcherFor(r);
  const dryRun = isDryRun(r.query);
  const { items } = r.store.list(keyOf(r.type), r.type.namespaced ? r.namespace : '');
  const deleted = items.filter(matches).map((o) => (dryRun ? o : r.store.delete(keyOf(r.type), o.metadata.namespace ?? '', o.metadata.name)));
  const bare = deleted.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
  writeObject(r.req, r.res, 200, { kind: r.type.listKind, apiVersion: apiVersionOf(r.type), metadata: { resourceVersion: String(r.store.currentResourceVersion()) }, items: bare });
}

function handleWatch(r: RestRequest): void {
  const negotiated = negotiateFor(r, ['Table', 'PartialObjectMetadata']);
  serveWatch({ req: r.req, res: r.res, type: r.type, matches: matcherFor(r), query: r.query, store: r.store, negotiated, bookmarkIntervalMs: r.bookmarkIntervalMs, now: r.now, log: r.log, track: r.track });
}

const SUBRESOURCE_METHODS: Record<string, string[]> = { status: ['GET', 'PUT', 'PATCH'], ephemeralcontainers: ['GET', 'PUT', 'PATCH'], finalize: ['PUT'] };

/** Serves one request on a stored type (collection, object, or status-like subresource). */
export async function serveStoredResource(r: RestRequest): Promise<void> {
  const method = r.req.method ?? 'GET';
  const name = r.info.parts.length >= 2 ? r.info.parts[1]! : '';
  const sub = r.info.subresource;
  if (r.info.verb === 'watch') return handleWatch(r);
  if (sub) {
    if (!SUBRESOURCE_METHODS[sub]?.includes(method === 'HEAD' ? 'GET' : method)) throw methodNotAllowed();
    if (method === 'GET' || method === 'HEAD') return handleGet(r, name);
    return method === 'PUT' ? handleUpdate(r, name) : handlePatch(r, name);
  }
  const allowed = (verb: string) => r.type.verbs.includes(verb);
  if (!name) {
    if ((method === 'GET' || method === 'HEAD') && allowed('list')) return handleList(r);
    if (method === 'POST' && allowed('create')) return handleCreate(r);
    if (method === 'DELETE' && allowed('deletecollection')) return handleDeleteCollection(r);
    throw methodNotAllowed();
  }
  if ((method === 'GET' || method === 'HEAD') && allowed('get')) return handleGet(r, name);
  if (method === 'PUT' && allowed('update')) return handleUpdate(r, name);
  if (method === 'PATCH' && allowed('patch')) return handlePatch(r, name);
  if (method === 'DELETE' && allowed('delete')) return handleDelete(r, name);
  throw methodNotAllowed();
}
