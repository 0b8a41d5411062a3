/**
 * One `kind: Policy` document: the envelope (`apiVersion`, `kind`, `metadata`) and the sections of
 * its `spec`, each entry kept with where it came from so merges and cross-checks can point at it.
 */
import type { ClusterConfig, GrantTemplate, GuardrailRule, IssuerConfig, MaskingConfig } from '../types.js';
import { readCluster } from './clusters.js';
import { DNS_LABEL } from './fields.js';
import { readGrant } from './grants.js';
import { readIdentity } from './identity.js';
import { readMasking } from './masking.js';
import type { DocumentContext, ValueReader } from './reader.js';
import { readRule } from './rules.js';
import type { SourceDocument } from './source.js';

/** The only apiVersion this kgate reads. */
export const POLICY_API_VERSION = 'kgate.dev/v1alpha1';
export const POLICY_KIND = 'Policy';

/** A value read from a file, with the document and field path it came from. */
export interface Located<T> {
  value: T;
  ctx: DocumentContext;
  path: string;
}

/** What one document contributes to the merged policy. */
export interface PolicyDocument {
  ctx: DocumentContext;
  name: string;
  clusters: Located<ClusterConfig>[];
  issuers: Located<IssuerConfig>[];
  grants: Located<GrantTemplate>[];
  rules: Located<GuardrailRule>[];
  masking?: Located<MaskingConfig>;
}

function readList<T>(doc: SourceDocument, list: ValueReader, read: (r: ValueReader) => T | undefined): Located<T>[] {
  const out: Located<T>[] = [];
  for (const item of list.list() ?? []) {
    const value = read(item);
    if (value !== undefined) out.push({ value, ctx: doc.ctx, path: item.path });
  }
  return out;
}

/** Reads one policy document; problems go to the document's issue list. */
export function readPolicyDocument(doc: SourceDocument): PolicyDocument | undefined {
  const top = doc.root.map(['apiVersion', 'kind', 'metadata', 'spec']);
  if (!top) {
    doc.root.report(`expected a mapping with apiVersion: ${POLICY_API_VERSION}, kind: ${POLICY_KIND}, metadata and spec, got ${doc.root.present ? 'something else' : 'an empty document'}`);
    return undefined;
  }
  for (const [field, expected] of [['apiVersion', POLICY_API_VERSION], ['kind', POLICY_KIND]] as const) {
    const r = top.field(field);
    if (!r.required()) continue;
    const value = r.string();
    if (value !== undefined && value !== expected) r.report(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`);
  }
  const metadataField = top.field('metadata');
  metadataField.required();
  const metadata = metadataField.map(['name', 'labels', 'annotations']);
  const nameField = metadata?.field('name');
  nameField?.required();
  const name = nameField?.string(DNS_LABEL) ?? '';
  for (const extra of ['labels', 'annotations']) {
    const m = metadata?.field(extra).map('any');
    for (const key of m?.names ?? []) m?.field(key).string();
  }
  const specField = top.field('spec');
  specField.required();
  const spec = specField.map(['clusters', 'identity', 'grants', 'rules', 'masking']);
  if (!spec) return undefined;
  const identity = readIdentity(spec.field('identity'));
  const maskingField = spec.field('masking');
  return {
    ctx: doc.ctx,
    name,
    clusters: readList(doc, spec.field('clusters'), readCluster),
    issuers: identity.map(({ issuer, at }) => ({ value: issuer, ctx: doc.ctx, path: at.path })),
    grants: readList(doc, spec.field('grants'), readGrant),
    rules: readList(doc, spec.field('rules'), readRule),
    masking: maskingField.present ? { value: readMasking(maskingField), ctx: doc.ctx, path: maskingField.path } : undefined,
  };
}
