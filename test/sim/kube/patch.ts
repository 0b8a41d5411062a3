/**
 * The four PATCH flavours the apiserver accepts: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902), strategic merge patch with the list merge keys of the types served here, and
 * server-side apply's merge of an apply configuration into the live object.
 */
import { StatusError } from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

function isMap(value: unknown): value is JsonMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** RFC 7386 JSON merge patch: maps merge, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return clone(patch);
  const result: JsonMap = isMap(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value) as Json;
  }
  return result;
}

/** How a list field merges under strategic merge patch (the `patchStrategy`/`patchMergeKey` struct tags). */
export type ListStrategy = { mergeKey: string } | { primitiveMerge: true } | undefined;

/** List merge keys by the field names leading to the list (list indices left out). */
const KEYED_LISTS: { suffix: string[]; strategy: ListStrategy }[] = [
  { suffix: ['metadata', 'finalizers'], strategy: { primitiveMerge: true } },
  { suffix: ['metadata', 'ownerReferences'], strategy: { mergeKey: 'uid' } },
  { suffix: ['containers', 'env'], strategy: { mergeKey: 'name' } },
  { suffix: ['initContainers', 'env'], strategy: { mergeKey: 'name' } },
  { suffix: ['ephemeralContainers', 'env'], strategy: { mergeKey: 'name' } },
  { suffix: ['containers', 'ports'], strategy: { mergeKey: 'containerPort' } },
  { suffix: ['initContainers', 'ports'], strategy: { mergeKey: 'containerPort' } },
  { suffix: ['containers', 'volumeMounts'], strategy: { mergeKey: 'mountPath' } },
  { suffix: ['initContainers', 'volumeMounts'], strategy: { mergeKey: 'mountPath' } },
  { suffix: ['containers', 'volumeDevices'], strategy: { mergeKey: 'devicePath' } },
  { suffix: ['spec', 'containers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'initContainers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'ephemeralContainers'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'volumes'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'imagePullSecrets'], strategy: { mergeKey: 'name' } },
  { suffix: ['spec', 'hostAliases'], strategy: { mergeKey: 'ip' } },
  { suffix: ['spec', 'resourceClaims'], strategy: { mergeKey: 'name' } },
  { suffix: ['status', 'conditions'], strategy: { mergeKey: 'type' } },
  { suffix: ['secrets'], strategy: { mergeKey: 'name' } },
  { suffix: ['imagePullSecrets'], strategy: { mergeKey: 'name' } },
];

/** The strategy for the list at `path` (field names from the object root). */
export function listStrategy(path: readonly string[]): ListStrategy {
  for (const { suffix, strategy } of KEYED_LISTS) {
    if (suffix.length === 1 ? path.length === 1 && path[0] === suffix[0] : suffix.every((s, i) => path[path.length - suffix.length + i] === s)) {
      return strategy;
    }
  }
  return undefined;
}

const DELETE = Symbol('delete');

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.filter((v) => !(isMap(v) && v.$patch === 'delete')).map(stripDirectives);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    if (v !== null) out[k] = stripDirectives(v);
  }
  return out;
}

function reorder(list: Json[], order: Json[], strategy: ListStrategy): Json[] {
  const keyOf = (item: Json): string => JSON.stringify(strategy && 'mergeKey' in strategy && isMap(item) ? item[strategy.mergeKey] : item);
  const rank = new Map(order.map((o, i) => [keyOf(o), i]));
  return [...list].sort((a, b) => (rank.get(keyOf(a)) ?? order.length) - (rank.get(keyOf(b)) ?? order.length));
}

function mergeMap(original: JsonMap | undefined, patch: JsonMap, path: string[]): JsonMap | typeof DELETE {
  if (patch.$patch === 'delete') return DELETE;
  if (patch.$patch === 'replace') return stripDirectives(patch) as JsonMap;
  const result: JsonMap = original ? clone(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.some((d) => JSON.stringify(d) === JSON.stringify(v)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = mergeValue(result[key], value, [...path, key]);
    if (merged === DELETE) delete result[key];
    else result[key] = merged;
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const field = key.slice('$setElementOrder/'.length);
    const current = result[field];
    if (Array.isArray(current)) result[field] = reorder(current, order, listStrategy([...path, field]));
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  return result;
}

function mergeValue(original: Json | undefined, patch: Json, path: string[]): Json | typeof DELETE {
  if (isMap(patch)) return mergeMap(isMap(original) ? original : undefined, patch, path);
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : undefined, patch, path);
  return patch;
}

function mergeList(original: Json[] | undefined, patch: Json[], path: string[]): Json[] {
  const strategy = listStrategy(path);
  if (!strategy || patch.some((p) => isMap(p) && p.$patch === 'replace')) return stripDirectives(patch.filter((p) => !(isMap(p) && p.$patch === 'replace'))) as Json[];
  const result = original ? clone(original) : [];
  if ('primitiveMerge' in strategy) {
    for (const value of patch) if (!result.some((r) => JSON.stringify(r) === JSON.stringify(value))) result.push(value);
    return result;
  }
  const key = strategy.mergeKey;
  for (const item of patch) {
    if (!isMap(item)) continue;
    const index = result.findIndex((r) => isMap(r) && JSON.stringify(r[key]) === JSON.stringify(item[key]));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index < 0) result.push(stripDirectives(item));
    else {
      const merged = mergeMap(result[index] as JsonMap, item, path);
      if (merged === DELETE) result.splice(index, 1);
      else result[index] = merged;
    }
  }
  return result;
}

/** Strategic merge patch (apimachinery strategicpatch) with the merge keys of the served types. */
export function strategicMergePatch(original: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged = mergeMap(original as JsonMap, patch as JsonMap, []);
  return merged === DELETE ? {} : merged;
}

function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`JSON pointer "${pointer}" does not start with /`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchError(message: string): StatusError {
  return new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

interface Location { parent: Json[] | JsonMap; key: string }

function locate(doc: Json, pointer: string): Location {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) throw patchError('operations on the document root are not supported');
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(token)] : isMap(node) ? node[token] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') throw patchError(`doc is missing path: "${pointer}": missing value`);
    node = next;
  }
  if (node === null || typeof node !== 'object') throw patchError(`doc is missing path: "${pointer}": missing value`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function read({ parent, key }: Location, pointer: string): Json {
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw patchError(`doc is missing path: "${pointer}": missing value`);
  return value;
}

function arrayIndex(parent: Json[], key: string, allowEnd: boolean, pointer: string): number {
  if (allowEnd && key === '-') return parent.length;
  const index = Number(key);
  if (!/^\d+$/.test(key) || index > parent.length || (!allowEnd && index === parent.length)) throw patchError(`unable to access invalid index: ${key} in "${pointer}"`);
  return index;
}

function add(loc: Location, value: Json, pointer: string): void {
  if (Array.isArray(loc.parent)) loc.parent.splice(arrayIndex(loc.parent, loc.key, true, pointer), 0, value);
  else loc.parent[loc.key] = value;
}

function remove(loc: Location, pointer: string): Json {
  const value = read(loc, pointer);
  if (Array.isArray(loc.parent)) loc.parent.splice(arrayIndex(loc.parent, loc.key, false, pointer), 1);
  else delete loc.parent[loc.key];
  return value;
}

/** RFC 6902 JSON patch; throws StatusError 422 when an operation does not apply. */
export function jsonPatch(document: Record<string, unknown>, operations: unknown[]): Record<string, unknown> {
  const doc = clone(document) as JsonMap;
  for (const raw of operations) {
    if (!isMap(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw patchError('invalid JSON patch operation');
    const { op, path } = raw;
    const from = typeof raw.from === 'string' ? raw.from : '';
    switch (op) {
      case 'add': add(locate(doc, path), clone(raw.value ?? null), path); break;
      case 'remove': remove(locate(doc, path), path); break;
      case 'replace': {
        const loc = locate(doc, path);
        read(loc, path);
        if (Array.isArray(loc.parent)) loc.parent[Number(loc.key)] = clone(raw.value ?? null);
        else loc.parent[loc.key] = clone(raw.value ?? null);
        break;
      }
      case 'move': add(locate(doc, path), remove(locate(doc, from), from), path); break;
      case 'copy': add(locate(doc, path), clone(read(locate(doc, from), from)), path); break;
      case 'test':
        if (JSON.stringify(read(locate(doc, path), path)) !== JSON.stringify(raw.value)) throw patchError(`testing value ${path} failed: test failed`);
        break;
      default: throw patchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

/** Server-side apply's merge: the apply configuration's fields win, keyed lists merge by key, others are atomic. */
export function applyMerge(live: Record<string, unknown>, applied: Record<string, unknown>): Record<string, unknown> {
  return strategicMergePatch(live, stripDirectives(applied as Json) as JsonMap);
}
