/**
 * metadata.managedFields bookkeeping (FieldsV1 sets): which manager owns which fields, so
 * server-side apply can drop fields a manager stopped applying and ownership moves on update.
 */
import { listStrategy } from './patch.js';
import type { KubeObject } from './types.js';

/** A FieldsV1 set: `f:<field>`, `k:<key json>`, `v:<value json>` and `.` (the node itself). */
export type FieldSet = { [key: string]: FieldSet };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

/** Fields that are never owned (the apiserver strips them before computing managed fields). */
const UNOWNED_TOP = new Set(['apiVersion', 'kind']);
const UNOWNED_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function listItemKey(item: unknown, mergeKey: string): string {
  return `k:${JSON.stringify({ [mergeKey]: isMap(item) ? item[mergeKey] : item })}`;
}

function fieldsOfValue(value: unknown, path: string[]): FieldSet {
  if (isMap(value)) {
    const set: FieldSet = Object.keys(value).length ? { '.': {} } : {};
    for (const [key, child] of Object.entries(value)) set[`f:${key}`] = fieldsOfValue(child, [...path, key]);
    return path.length ? set : stripDot(set);
  }
  if (Array.isArray(value)) {
    const strategy = listStrategy(path);
    if (!strategy) return {};
    const set: FieldSet = { '.': {} };
    for (const item of value) {
      if ('primitiveMerge' in strategy) set[`v:${JSON.stringify(item)}`] = {};
      else set[listItemKey(item, strategy.mergeKey)] = { ...fieldsOfValue(item, path), '.': {} };
    }
    return set;
  }
  return {};
}

function stripDot(set: FieldSet): FieldSet {
  const { '.': _dot, ...rest } = set;
  return rest;
}

/** The owned-field set of an object (or apply configuration). */
export function fieldsOf(object: Record<string, unknown>): FieldSet {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (UNOWNED_TOP.has(key) || key === 'status') continue;
    if (key === 'metadata' && isMap(value)) {
      const meta = Object.fromEntries(Object.entries(value).filter(([k]) => !UNOWNED_META.has(k)));
      if (Object.keys(meta).length) copy.metadata = meta;
      continue;
    }
    copy[key] = value;
  }
  return fieldsOfValue(copy, []);
}

/** Fields in `a` that are not in `b` (whole subtrees when `b` lacks the node). */
export function subtract(a: FieldSet, b: FieldSet | undefined): FieldSet {
  const out: FieldSet = {};
  for (const [key, child] of Object.entries(a)) {
    const other = b?.[key];
    if (!other) out[key] = child;
    else if (Object.keys(child).length) {
      const rest = subtract(child, other);
      if (Object.keys(rest).length) out[key] = rest;
    }
  }
  return out;
}

/** Union of field sets. */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [key, child] of Object.entries(b)) out[key] = out[key] ? union(out[key]!, child) : child;
  return out;
}

/** Fields whose values differ between two versions of an object (what an update "set"). */
export function changedFields(before: Record<string, unknown> | undefined, after: Record<string, unknown>): FieldSet {
  const all = fieldsOf(after);
  if (!before) return all;
  return pruneUnchanged(all, before, after);
}

function pruneUnchanged(set: FieldSet, before: unknown, after: unknown): FieldSet {
  const out: FieldSet = {};
  for (const [key, child] of Object.entries(set)) {
    if (key === '.') continue;
    const [b, a] = [childOf(before, key), childOf(after, key)];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (b === undefined || !Object.keys(child).length) out[key] = child;
    else {
      const inner = pruneUnchanged(child, b, a);
      out[key] = Object.keys(inner).length ? inner : child;
    }
  }
  return out;
}

function childOf(node: unknown, key: string): unknown {
  if (key.startsWith('f:')) return isMap(node) ? node[key.slice(2)] : undefined;
  if (!Array.isArray(node)) return undefined;
  if (key.startsWith('k:')) {
    const match = JSON.parse(key.slice(2)) as Record<string, unknown>;
    return node.find((item) => isMap(item) && Object.entries(match).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)));
  }
  if (key.startsWith('v:')) return node.find((item) => JSON.stringify(item) === key.slice(2));
  return undefined;
}

/** Deletes the fields of `set` from `object` (only leaves of the set and whole nodes without children). */
export function removeFields(object: Record<string, unknown>, set: FieldSet): void {
  for (const [key, child] of Object.entries(set)) {
    if (key === '.') continue;
    const leaf = !Object.keys(child).length || (Object.keys(child).length === 1 && child['.']);
    if (key.startsWith('f:')) {
      const field = key.slice(2);
      if (leaf) delete object[field];
      else if (isMap(object[field])) removeFields(object[field] as Record<string, unknown>, child);
      else if (Array.isArray(object[field])) removeFromList(object[field] as unknown[], child);
    }
  }
}

function removeFromList(list: unknown[], set: FieldSet): void {
  for (const [key, child] of Object.entries(set)) {
    const item = childOf(list, key);
    if (item === undefined) continue;
    const leaf = !Object.keys(child).length || child['.'] !== undefined;
    if (leaf) list.splice(list.indexOf(item), 1);
    else if (isMap(item)) removeFields(item, child);
  }
}

/** The managedFields entries of an object. */
export function managedFieldsOf(object: KubeObject): ManagedFieldsEntry[] {
  const entries = object.metadata.managedFields;
  return Array.isArray(entries) ? (entries as ManagedFieldsEntry[]) : [];
}

/**
 * Records that `manager` set `fields` with `operation`: its entry for that operation absorbs them
 * (Apply replaces its set), and every other manager loses them, as ownership moves.
 */
export function recordManager(entries: ManagedFieldsEntry[], entry: Omit<ManagedFieldsEntry, 'fieldsType'>): ManagedFieldsEntry[] {
  const same = (e: ManagedFieldsEntry) => e.manager === entry.manager && e.operation === entry.operation && (e.subresource ?? '') === (entry.subresource ?? '');
  const previous = entries.find(same);
  const fields = entry.operation === 'Apply' || !previous ? entry.fieldsV1 : union(previous.fieldsV1, entry.fieldsV1);
  const others = entries
    .filter((e) => !same(e))
    .map((e) => ({ ...e, fieldsV1: subtract(e.fieldsV1, entry.fieldsV1) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  if (!Object.keys(fields).length) return others;
  return [...others, { ...entry, fieldsType: 'FieldsV1', fieldsV1: fields }];
}

/** A field owned by another manager that an apply would change. */
export interface FieldConflict { manager: string; apiVersion: string; path: string }

function leafPaths(set: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [key, child] of Object.entries(set)) {
    if (key === '.') continue;
    const path = [...prefix, key];
    const inner = Object.keys(child).filter((k) => k !== '.');
    if (inner.length) out.push(...leafPaths(child, path));
    else out.push(path);
  }
  return out;
}

function has(set: FieldSet, path: string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const key of path) node = node?.[key];
  return node !== undefined;
}

function valueAt(object: unknown, path: string[]): unknown {
  let node = object;
  for (const key of path) node = childOf(node, key);
  return node;
}

/** The field path as the apiserver prints it in conflicts: `.data.a`, `.spec.containers[name="app"].image`. */
export function printPath(path: string[]): string {
  return path.map((key) => {
    if (key.startsWith('f:')) return `.${key.slice(2)}`;
    if (key.startsWith('k:')) return Object.entries(JSON.parse(key.slice(2)) as Record<string, unknown>).map(([k, v]) => `[${k}=${JSON.stringify(v)}]`).join('');
    return `[=${key.slice(2)}]`;
  }).join('');
}

/**
 * Fields an apply configuration sets to a different value than the live object has, while
 * another manager owns them (server-side apply's conflict rule; equal values are shared).
 */
export function applyConflicts(entries: ManagedFieldsEntry[], manager: string, applied: Record<string, unknown>, live: Record<string, unknown>): FieldConflict[] {
  const conflicts: FieldConflict[] = [];
  for (const path of leafPaths(fieldsOf(applied))) {
    if (JSON.stringify(valueAt(applied, path)) === JSON.stringify(valueAt(live, path))) continue;
    for (const e of entries) {
      if (e.manager === manager && e.operation === 'Apply') continue;
      if (has(e.fieldsV1, path)) conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: printPath(path) });
    }
  }
  return conflicts;
}

/** Removes `fields` from every entry except the applying manager's (forced apply takes ownership). */
export function takeOwnership(entries: ManagedFieldsEntry[], manager: string, fields: FieldSet): ManagedFieldsEntry[] {
  return entries
    .map((e) => (e.manager === manager && e.operation === 'Apply' ? e : { ...e, fieldsV1: subtract(e.fieldsV1, fields) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
}

/** Sets the applying manager's Apply entry to exactly `fields`, leaving shared ownership with others. */
export function recordApply(entries: ManagedFieldsEntry[], entry: Omit<ManagedFieldsEntry, 'fieldsType' | 'operation'>): ManagedFieldsEntry[] {
  const others = entries.filter((e) => !(e.manager === entry.manager && e.operation === 'Apply'));
  return [...others, { ...entry, operation: 'Apply', fieldsType: 'FieldsV1' }];
}
