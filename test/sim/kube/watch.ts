/**
 * Watch streams: newline-delimited JSON WatchEvents over a chunked response, with the watch
 * cache's resourceVersion semantics, selector transitions, bookmarks, sendInitialEvents and
 * Table / PartialObjectMetadata conversion of every event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { goBool } from './request-info.js';
import { apiVersionOf, keyOf, type ResourceType } from './resources.js';
import type { Negotiated } from './respond.js';
import type { ObjectMatcher } from './selectors.js';
import { hasHistory, type MemoryStoreEvent } from './store.js';
import { asPartialObjectMetadata, parseIncludeObject, toTable } from './table.js';
import { StatusError, type KubeObject, type ObjectStore, type StoreEvent } from './types.js';

/** The annotation on the BOOKMARK that ends the initial events of a watch-list. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export interface WatchRequest {
  req: IncomingMessage;
  res: ServerResponse;
  type: ResourceType;
  matches: ObjectMatcher;
  query: URLSearchParams;
  store: ObjectStore;
  negotiated: Negotiated;
  bookmarkIntervalMs: number;
  now: () => Date;
  log: (line: string) => void;
  /** Called with a function that ends the stream, so the server can end open watches on close. */
  track: (end: () => void) => () => void;
}

interface FieldError { field: string; type: 'Forbidden' | 'Unsupported'; detail: string; value?: string }

function invalidListOptions(errors: FieldError[]): StatusError {
  const text = errors.map((e) => e.type === 'Forbidden' ? `${e.field}: Forbidden: ${e.detail}` : `${e.field}: Unsupported value: "${e.value}": supported values: "NotOlderThan"`);
  const message = `ListOptions.meta.k8s.io "" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`;
  return new StatusError(422, 'Invalid', message, {
    group: 'meta.k8s.io', kind: 'ListOptions',
    causes: errors.map((e, i) => ({ reason: e.type === 'Forbidden' ? 'FieldValueForbidden' : 'FieldValueNotSupported', message: text[i]!.slice(e.field.length + 2), field: e.field })),
  });
}

/** validateWatchOptions (apimachinery internalversion validation) with the WatchList feature on. */
export function validateWatchOptions(query: URLSearchParams): void {
  const sendInitialEvents = goBool(query, 'sendInitialEvents');
  const match = query.get('resourceVersionMatch') ?? '';
  const errors: FieldError[] = [];
  if (sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') errors.push({ field: 'resourceVersionMatch', type: 'Forbidden', detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
    if (sendInitialEvents && !goBool(query, 'allowWatchBookmarks')) errors.push({ field: 'allowWatchBookmarks', type: 'Forbidden', detail: 'sendInitialEvents requires setting allowWatchBookmarks to true' });
  }
  if (match) {
    if (sendInitialEvents === undefined) errors.push({ field: 'resourceVersionMatch', type: 'Forbidden', detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' });
    if (match !== 'NotOlderThan') errors.push({ field: 'resourceVersionMatch', type: 'Unsupported', detail: '', value: match });
    if (query.get('continue')) errors.push({ field: 'resourceVersionMatch', type: 'Forbidden', detail: 'resourceVersionMatch is forbidden when continue is provided' });
  }
  if (errors.length) throw invalidListOptions(errors);
}

type Encoder = (object: KubeObject, bookmark: boolean) => unknown;

function encoderFor(w: WatchRequest): Encoder {
  const target = w.negotiated.target;
  if (target?.kind === 'Table') {
    const includeObject = parseIncludeObject(w.query.get('includeObject'));
    let first = true;
    return (object, bookmark) => {
      if (bookmark) return { kind: 'Table', apiVersion: `meta.k8s.io/${target.version}`, metadata: { resourceVersion: object.metadata.resourceVersion }, columnDefinitions: null, rows: [] };
      const table = toTable(w.type, [object], { version: target.version, includeObject, now: w.now(), noHeaders: !first, listMeta: { resourceVersion: object.metadata.resourceVersion } });
      first = false;
      return table;
    };
  }
  if (target?.kind === 'PartialObjectMetadata') return (object) => asPartialObjectMetadata(object, target.version);
  return (object) => object;
}

function bookmarkObject(t: ResourceType, resourceVersion: number, initialEventsEnd: boolean): KubeObject {
  return {
    kind: t.kind, apiVersion: apiVersionOf(t),
    metadata: { name: '', resourceVersion: String(resourceVersion), creationTimestamp: null as unknown as string, ...(initialEventsEnd ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } : {}) },
  } as KubeObject;
}

/** Translates a store event for a filtered watcher: objects entering or leaving the selector become ADDED / DELETED. */
function translate(event: StoreEvent, matches: ObjectMatcher): { type: string; object: KubeObject } | undefined {
  const now = matches(event.object);
  const previous = (event as MemoryStoreEvent).previous;
  const before = previous ? matches(previous) : event.type !== 'ADDED' && now;
  switch (event.type) {
    case 'ADDED': return now ? event : undefined;
    case 'DELETED': return before || now ? event : undefined;
    case 'MODIFIED':
      if (now && before) return event;
      if (now) return { type: 'ADDED', object: event.object };
      return before ? { type: 'DELETED', object: event.object } : undefined;
  }
}

function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value)) throw new StatusError(400, 'BadRequest', `invalid resource version: ${value}`);
  return Number(value);
}

/** Serves a watch on an already authorized collection or single object. */
export function serveWatch(w: WatchRequest): void {
  validateWatchOptions(w.query);
  const rvParam = w.query.get('resourceVersion') ?? '';
  const sendInitialEvents = goBool(w.query, 'sendInitialEvents');
  const bookmarks = goBool(w.query, 'allowWatchBookmarks') === true;
  const startRv = rvParam === '' || rvParam === '0' ? undefined : parseResourceVersion(rvParam);
  const timeoutSeconds = Number(w.query.get('timeoutSeconds') ?? 0);
  const encode = encoderFor(w);
  const key = keyOf(w.type);

  w.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  w.res.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!w.res.writableEnded && !w.res.destroyed) w.res.write(JSON.stringify({ type, object }) + '\n');
  };
  const sendObject = (type: string, object: KubeObject) => send(type, type === 'ERROR' ? object : encode(object, type === 'BOOKMARK'));

  const cleanups: (() => void)[] = [];
  const end = () => {
    for (const c of cleanups.splice(0)) c();
    if (!w.res.writableEnded) w.res.end();
  };
  w.res.on('close', end);
  cleanups.push(w.track(end));

  const onEvent = (event: StoreEvent) => {
    const out = translate(event, w.matches);
    if (out) sendObject(out.type, out.object);
  };

  const initial = startRv === undefined ? sendInitialEvents !== false : sendInitialEvents === true;
  if (initial) {
    for (const object of w.store.list(key, '').items.filter(w.matches)) sendObject('ADDED', object);
    if (sendInitialEvents && bookmarks) sendObject('BOOKMARK', bookmarkObject(w.type, w.store.currentResourceVersion(), true));
  }
  try {
    const from = initial || startRv === undefined ? w.store.currentResourceVersion() : startRv;
    cleanups.push(hasHistory(w.store) ? w.store.watchFrom(key, from, onEvent) : w.store.subscribe(key, onEvent));
    if (!hasHistory(w.store) && !initial) w.log(`watch from resourceVersion ${from} on a store without history: only live events`);
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    send('ERROR', e.toStatus());
    end();
    return;
  }
  if (bookmarks) {
    const timer = setInterval(() => sendObject('BOOKMARK', bookmarkObject(w.type, w.store.currentResourceVersion(), false)), w.bookmarkIntervalMs);
    cleanups.push(() => clearInterval(timer));
  }
  if (timeoutSeconds > 0) {
    const timer = setTimeout(end, timeoutSeconds * 1000);
    cleanups.push(() => clearTimeout(timer));
  }
}
