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

/**
 * A pointer as the apiserver's JSON-patch library (evanphx/json-patch v4.12, `findObject`) splits
 * it: what comes before the first `/` is ignored, tokens are unescaped `~1` → `/` then `~0` → `~`,
 * and a pointer without any `/` resolves nothing.
 */
function pointerTokens(pointer: string): string[] | undefined {
  const slash = pointer.indexOf('/');
  if (slash < 0) return undefined;
  return pointer.slice(slash + 1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchError(message: string): StatusError {
  return new StatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
}

interface Location { parent: Json[] | JsonMap; key: string }

/** The container holding the last token and that token, or undefined when the path does not resolve. */
function locate(doc: Json, pointer: string): Location | undefined {
  const tokens = pointerTokens(pointer);
  if (tokens === undefined) return undefined;
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[goIndex(node, token, false) ?? -1] : isMap(node) ? node[token] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    node = next;
  }
  if (node === null || typeof node !== 'object') return undefined;
  return { parent: node, key: tokens[tokens.length - 1]! };
}

/**
 * An array index as `strconv.Atoi` reads it (a sign is allowed) with the library's negative
 * indices counted from the end; undefined when out of range (`end`: one past the end is allowed).
 */
function goIndex(list: readonly unknown[], key: string, end: boolean): number | undefined {
  if (!/^[+-]?\d+$/.test(key)) return undefined;
  let index = Number(key);
  const size = end ? list.length + 1 : list.length;
  if (index >= size || index < -size) return undefined;
  if (index < 0) index += size;
  return index;
}

function indexError(key: string): StatusError {
  return patchError(/^[+-]?\d+$/.test(key) ? `Unable to access invalid index: ${Number(key)}: invalid index referenced` : `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
}

/** The value at a location; a missing map key reads as nothing (undefined), as the library's does. */
function read({ parent, key }: Location): Json | undefined {
  if (!Array.isArray(parent)) return parent[key];
  const index = goIndex(parent, key, false);
  if (index === undefined) throw indexError(key);
  return parent[index];
}

function add({ parent, key }: Location, value: Json): void {
  if (!Array.isArray(parent)) {
    parent[key] = value;
    return;
  }
  const index = key === '-' ? parent.length : goIndex(parent, key, true);
  if (index === undefined) throw indexError(key);
  parent.splice(index, 0, value);
}

function remove(loc: Location): Json {
  const { parent, key } = loc;
  if (!Array.isArray(parent)) {
    if (!(key in parent)) throw patchError(`Unable to remove nonexistent key: ${key}: missing value`);
    const value = parent[key]!;
    delete parent[key];
    return value;
  }
  const index = goIndex(parent, key, false);
  if (index === undefined) throw indexError(key);
  return parent.splice(index, 1)[0]!;
}

function missing(op: string, which: string, pointer: string): StatusError {
  return patchError(`${op} operation does not apply: doc is missing ${which}: ${pointer}: missing value`);
}

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: Json | undefined): Json | undefined {
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  if (!isMap(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k]) ?? null]));
}

/**
 * RFC 6902 JSON patch as the apiserver applies it (evanphx/json-patch v4.12): `replace` of a
 * missing member adds it, `copy` of a missing member copies null, `test` of a missing member
 * passes for null, `test` and `replace` on `""` see the whole document, negative array indices
 * count from the end. Throws StatusError 422 when an operation does not apply.
 */
export function jsonPatch(document: Record<string, unknown>, operations: unknown[]): Record<string, unknown> {
  let doc = clone(document) as JsonMap;
  for (const raw of operations) {
    if (!isMap(raw)) throw patchError('invalid JSON patch operation');
    const op = typeof raw.op === 'string' ? raw.op : 'unknown';
    const path = typeof raw.path === 'string' ? raw.path : '';
    const from = typeof raw.from === 'string' ? raw.from : '';
    const value = clone(raw.value ?? null);
    switch (op) {
      case 'add': {
        const loc = locate(doc, path);
        if (!loc) throw missing('add', 'path', JSON.stringify(path));
        add(loc, value);
        break;
      }
      case 'remove': {
        const loc = locate(doc, path);
        if (!loc) throw missing('remove', 'path', JSON.stringify(path));
        remove(loc);
        break;
      }
      case 'replace': {
        if (path === '') {
          if (!isMap(value)) throw patchError('replace operation value must be object or array');
          doc = value;
          break;
        }
        const loc = locate(doc, path);
        if (!loc) throw missing('replace', 'path', path);
        if (Array.isArray(loc.parent)) {
          const index = goIndex(loc.parent, loc.key, false);
          if (index === undefined) throw indexError(loc.key);
          loc.parent[index] = value;
        } else loc.parent[loc.key] = value;
        break;
      }
      case 'move': {
        const source = locate(doc, from);
        if (!source) throw missing('move', 'from path', from);
        read(source);
        const moved = remove(source);
        const target = locate(doc, path);
        if (!target) throw missing('move', 'destination path', path);
        add(target, moved);
        break;
      }
      case 'copy': {
        const source = locate(doc, from);
        if (!source) throw missing('copy', 'from path', from);
        const copied = clone(read(source) ?? null);
        const target = locate(doc, path);
        if (!target) throw missing('copy', 'destination path', path);
        add(target, copied);
        break;
      }
      case 'test': {
        if (path === '') {
          if (!sameJson(doc, raw.value as Json)) throw patchError(`testing value ${path} failed: test failed`);
          break;
        }
        const loc = locate(doc, path);
        if (!loc) throw patchError(`test operation does not apply: is missing path: ${path}: missing value`);
        const actual = read(loc);
        const expected = raw.value as Json | undefined;
        const passes = actual === undefined ? expected === undefined || expected === null : expected !== undefined && sameJson(actual, expected);
        if (!passes) throw patchError(`testing value ${path} failed: test failed`);
        break;
      }
      default: throw patchError(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

/** Server-side apply's merge: the apply configuration's fields win, keyed lists merge by key, others are atomic. */
export function applyMerge(live: Record<string, unknown>, applied: Record<string, unknown>): Record<string, unknown> {
  return strategicMergePatch(live, stripDirectives(applied as Json) as JsonMap);
}
