/**
 * Checks across sections, made on the merged policy so references may cross files: grants and
 * rules name clusters that exist, subjects name issuers that are trusted, default TTLs fit under
 * maximums, and the policy can serve anyone at all.
 */
import type { SubjectMatcher } from '../types.js';
import type { Located } from './document.js';
import type { MergedPolicy } from './merge.js';
import type { DocumentContext } from './reader.js';
import { didYouMean } from './suggest.js';

function checkClusterRefs(ctx: DocumentContext, path: string, refs: readonly string[] | undefined, known: string[]): void {
  refs?.forEach((ref, i) => {
    if (ref && !known.includes(ref)) {
      ctx.report(`${path}[${i}]`, `no cluster named ${JSON.stringify(ref)} in spec.clusters${didYouMean(ref, known) || (known.length ? ` (clusters: ${known.join(', ')})` : '')}`);
    }
  });
}

function checkIssuerRefs(ctx: DocumentContext, path: string, subjects: readonly SubjectMatcher[] | undefined, known: string[]): void {
  subjects?.forEach((s, i) => {
    if (s.issuer && !known.includes(s.issuer)) {
      ctx.report(`${path}[${i}].issuer`, `issuer ${JSON.stringify(s.issuer)} is not in spec.identity.issuers, so no token from it is ever accepted`);
    }
  });
}

function firstLocation(merged: MergedPolicy): Located<unknown> | undefined {
  return merged.clusters[0] ?? merged.issuers[0] ?? merged.grants[0] ?? merged.rules[0];
}

/** Reports every cross-reference and consistency problem; `fallback` is where to report a missing section. */
export function checkPolicy(merged: MergedPolicy, fallback: DocumentContext | undefined): void {
  const clusterNames = merged.clusters.map((c) => c.value.name);
  const issuerUrls = merged.issuers.map((i) => i.value.issuer);
  for (const { value: grant, ctx, path } of merged.grants) {
    checkClusterRefs(ctx, `${path}.clusters`, grant.clusters, clusterNames);
    checkIssuerRefs(ctx, `${path}.subjects`, grant.subjects, issuerUrls);
    if (grant.maxTtlMs > 0 && grant.defaultTtlMs > grant.maxTtlMs) {
      ctx.report(`${path}.defaultTTL`, 'expected defaultTTL to be at most maxTTL');
    }
  }
  for (const { value: rule, ctx, path } of merged.rules) {
    checkClusterRefs(ctx, `${path}.match.clusters`, rule.match.clusters, clusterNames);
    checkIssuerRefs(ctx, `${path}.match.principals`, rule.match.principals, issuerUrls);
  }
  const ctx = firstLocation(merged)?.ctx ?? fallback;
  if (!ctx) return;
  if (merged.clusters.length === 0) ctx.report('spec.clusters', 'a policy needs at least one cluster (in any of its files)', { file: ctx.file, line: 1, column: 1 });
  if (merged.issuers.length === 0) ctx.report('spec.identity.issuers', 'a policy needs at least one trusted issuer (in any of its files)', { file: ctx.file, line: 1, column: 1 });
}
