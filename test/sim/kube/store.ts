/**
 * An in-memory etcd + watch cache: one global, monotonically increasing resourceVersion, and a
 * bounded event history so a watch can resume from an older resourceVersion until it is compacted.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { qualifiedResource } from './resources.js';
import { StatusError, type KubeObject, type ObjectStore, type ResourceKey, type StoreEvent } from './types.js';

/** A store event that also carries the object as it was before (for selector transitions). */
export interface MemoryStoreEvent extends StoreEvent {
  previous?: KubeObject;
}

export interface MemoryStoreOptions {
  /** How many events the watch history keeps (etcd compaction / watch cache capacity). */
  historySize?: number;
  now?: () => Date;
}

type Listener = (event: StoreEvent) => void;

function keyId(key: ResourceKey): string {
  return `${key.group}/${key.resource}`;
}

function objectId(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** RFC 3339 at second precision, as metav1.Time marshals. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** errors.NewNotFound for a group/resource and name. */
export function notFound(key: ResourceKey, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(key.group, key.resource)} "${name}" not found`, detailsOf(key, name));
}

/** errors.NewConflict with the optimistic-concurrency message. */
export function conflict(key: ResourceKey, name: string, why: string): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(key.group, key.resource)} "${name}": ${why}`, detailsOf(key, name));
}

function detailsOf(key: ResourceKey, name: string): { name: string; group?: string; kind: string } {
  return { name, ...(key.group ? { group: key.group } : {}), kind: key.resource };
}

const MODIFIED_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** The simulated cluster's storage. */
export class MemoryStore implements ObjectStore {
  private resourceVersion = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly history: { key: string; event: MemoryStoreEvent }[] = [];
  /** The highest resourceVersion whose events were dropped from history. */
  private compacted = 0;
  private readonly historySize: number;
  private readonly now: () => Date;

  constructor(options: MemoryStoreOptions = {}) {
    this.historySize = options.historySize ?? 2000;
    this.now = options.now ?? (() => new Date());
  }

  get(key: ResourceKey, namespace: string, name: string): KubeObject | undefined {
    const found = this.bucket(key).get(objectId(namespace || undefined, name));
    return found ? structuredClone(found) : undefined;
  }

  list(key: ResourceKey, namespace: string): { items: KubeObject[]; resourceVersion: string } {
    const items = [...this.bucket(key).entries()]
      .filter(([, o]) => !namespace || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
    return { items, resourceVersion: String(this.resourceVersion) };
  }

  create(key: ResourceKey, object: KubeObject): KubeObject {
    const id = objectId(object.metadata.namespace, object.metadata.name);
    const bucket = this.bucket(key);
    if (bucket.has(id)) {
      throw new StatusError(409, 'AlreadyExists', `${qualifiedResource(key.group, key.resource)} "${object.metadata.name}" already exists`, detailsOf(key, object.metadata.name));
    }
    const stored = structuredClone(object);
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = rfc3339(this.now());
    stored.metadata.resourceVersion = String(++this.resourceVersion);
    bucket.set(id, stored);
    this.emit(key, { type: 'ADDED', object: stored, resourceVersion: this.resourceVersion });
    return structuredClone(stored);
  }

  update(key: ResourceKey, object: KubeObject): KubeObject {
    const id = objectId(object.metadata.namespace, object.metadata.name);
    const bucket = this.bucket(key);
    const current = bucket.get(id);
    if (!current) throw notFound(key, object.metadata.name);
    const expected = object.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) throw conflict(key, object.metadata.name, MODIFIED_MESSAGE);
    const stored = structuredClone(object);
    stored.metadata.uid = current.metadata.uid;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp;
    if (isUnchanged(current, stored)) return structuredClone(current);
    stored.metadata.resourceVersion = String(++this.resourceVersion);
    bucket.set(id, stored);
    this.emit(key, { type: 'MODIFIED', object: stored, previous: current, resourceVersion: this.resourceVersion });
    return structuredClone(stored);
  }

  delete(key: ResourceKey, namespace: string, name: string): KubeObject {
    const id = objectId(namespace || undefined, name);
    const bucket = this.bucket(key);
    const current = bucket.get(id);
    if (!current) throw notFound(key, name);
    bucket.delete(id);
    const gone = structuredClone(current);
    gone.metadata.resourceVersion = String(++this.resourceVersion);
    this.emit(key, { type: 'DELETED', object: gone, previous: current, resourceVersion: this.resourceVersion });
    return structuredClone(gone);
  }

  subscribe(key: ResourceKey, listener: Listener): () => void {
    const set = this.listeners.get(keyId(key)) ?? new Set<Listener>();
    this.listeners.set(keyId(key), set);
    set.add(listener);
    return () => set.delete(listener);
  }

  currentResourceVersion(): number {
    return this.resourceVersion;
  }

  /**
   * The events for `key` after `resourceVersion`, oldest first; throws StatusError 410 Expired when
   * history no longer reaches back that far (what the watch cache answers with "too old resource version").
   */
  eventsSince(key: ResourceKey, resourceVersion: number): MemoryStoreEvent[] {
    if (resourceVersion < this.compacted) {
      throw new StatusError(410, 'Expired', `too old resource version: ${resourceVersion} (${this.compacted + 1})`);
    }
    const id = keyId(key);
    return this.history.filter((h) => h.key === id && h.event.resourceVersion > resourceVersion).map((h) => structuredClone(h.event));
  }

  /** Replays events after `resourceVersion`, then delivers live ones; no event can fall in between. */
  watchFrom(key: ResourceKey, resourceVersion: number, listener: Listener): () => void {
    const replay = this.eventsSince(key, resourceVersion);
    const unsubscribe = this.subscribe(key, listener);
    for (const event of replay) listener(event);
    return unsubscribe;
  }

  private bucket(key: ResourceKey): Map<string, KubeObject> {
    let bucket = this.objects.get(keyId(key));
    if (!bucket) {
      bucket = new Map();
      this.objects.set(keyId(key), bucket);
    }
    return bucket;
  }

  private emit(key: ResourceKey, event: MemoryStoreEvent): void {
    this.history.push({ key: keyId(key), event: structuredClone(event) });
    while (this.history.length > this.historySize) this.compacted = this.history.shift()!.event.resourceVersion;
    for (const listener of [...(this.listeners.get(keyId(key)) ?? [])]) listener(structuredClone(event));
  }
}

/** Whether an update changes nothing but bookkeeping (the apiserver then skips the write). */
function isUnchanged(current: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return isDeepStrictEqual(JSON.parse(JSON.stringify(strip(current))), JSON.parse(JSON.stringify(strip(next))));
}

/** Whether a store offers replayable history (MemoryStore does). */
export function hasHistory(store: ObjectStore): store is ObjectStore & Pick<MemoryStore, 'eventsSince' | 'watchFrom'> {
  return typeof (store as Partial<MemoryStore>).watchFrom === 'function';
}
