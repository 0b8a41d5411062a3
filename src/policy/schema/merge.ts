/**
 * Several policy files make one policy: clusters, issuers, grants and rules are concatenated in
 * file order (rule order matters: first match wins), a name defined twice is an error naming both
 * places, and `masking` may be set by one file only.
 */
import type { Policy } from '../types.js';
import type { Located, PolicyDocument } from './document.js';
import { defaultMasking } from './masking.js';
import type { Position } from './reader.js';

function where(p: Position): string {
  return `${p.file}:${p.line}:${p.column}`;
}

function positionOf(item: Located<unknown>, field: string): Position {
  return item.ctx.positionOfPath(field ? `${item.path}.${field}` : item.path);
}

/** Reports every entry whose key was already used by an earlier one (by file order). */
function checkUnique<T>(what: string, items: Located<T>[], keyOf: (v: T) => string, field: string): void {
  const seen = new Map<string, Located<T>>();
  for (const item of items) {
    const key = keyOf(item.value);
    if (!key) continue;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, item);
      continue;
    }
    const path = `${item.path}.${field}`;
    item.ctx.report(path, `duplicate ${what} ${JSON.stringify(key)}: also defined at ${where(positionOf(first, field))} (${first.path}.${field})`);
  }
}

/** Everything the documents define, concatenated, with where each entry came from. */
export interface MergedPolicy {
  clusters: PolicyDocument['clusters'];
  issuers: PolicyDocument['issuers'];
  grants: PolicyDocument['grants'];
  rules: PolicyDocument['rules'];
  masking?: PolicyDocument['masking'];
}

/** Concatenates documents in order and reports duplicates. */
export function mergeDocuments(docs: PolicyDocument[]): MergedPolicy {
  const merged: MergedPolicy = {
    clusters: docs.flatMap((d) => d.clusters),
    issuers: docs.flatMap((d) => d.issuers),
    grants: docs.flatMap((d) => d.grants),
    rules: docs.flatMap((d) => d.rules),
  };
  checkUnique('cluster', merged.clusters, (c) => c.name, 'name');
  checkUnique('issuer', merged.issuers, (i) => i.issuer, 'issuer');
  checkUnique('grant', merged.grants, (g) => g.name, 'name');
  checkUnique('rule', merged.rules, (r) => r.name, 'name');
  for (const doc of docs) {
    if (!doc.masking) continue;
    if (!merged.masking) merged.masking = doc.masking;
    else doc.ctx.report(doc.masking.path, `masking is already set at ${where(positionOf(merged.masking, ''))}; set it in one file only`);
  }
  return merged;
}

/** The typed policy; only meaningful when no issues were reported. */
export function toPolicy(merged: MergedPolicy): Policy {
  return {
    clusters: merged.clusters.map((c) => c.value),
    issuers: merged.issuers.map((i) => i.value),
    grants: merged.grants.map((g) => g.value),
    rules: merged.rules.map((r) => r.value),
    masking: merged.masking?.value ?? defaultMasking(),
  };
}
