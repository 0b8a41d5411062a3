/**
 * Policy files → one typed {@link Policy}, or every issue found, each with file, line, column and
 * field path. Pure: the caller passes the texts (and the environment for `${NAME}` expansion).
 */
import type { Policy } from '../types.js';
import { checkPolicy } from './checks.js';
import { readPolicyDocument, type PolicyDocument } from './document.js';
import type { PolicyEnv } from './env.js';
import { sortIssues, type PolicyIssue } from './issues.js';
import { mergeDocuments, toPolicy } from './merge.js';
import type { DocumentContext } from './reader.js';
import { readDocuments } from './source.js';

/** A policy file's name (as shown in issues) and contents. */
export interface PolicySource {
  file: string;
  text: string;
}

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** Values for `${NAME}` in the fields that allow it; default none, so any reference is an issue. */
  env?: PolicyEnv;
}

/**
 * Parses, validates and merges policy files (each may hold several `---` documents). Returns the
 * policy only when there are no issues; otherwise all issues, sorted by file and position.
 */
export function parsePolicy(sources: PolicySource[], options: ParsePolicyOptions = {}): { policy?: Policy; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const docs: PolicyDocument[] = [];
  let fallback: DocumentContext | undefined;
  for (const source of sources) {
    for (const doc of readDocuments(source.file, source.text, options.env ?? {}, issues)) {
      fallback ??= doc.ctx;
      const policyDoc = readPolicyDocument(doc);
      if (policyDoc) docs.push(policyDoc);
    }
  }
  if (sources.length === 0) issues.push({ file: '', line: 0, column: 0, path: '', message: 'no policy files given' });
  const merged = mergeDocuments(docs);
  checkPolicy(merged, fallback);
  if (issues.length > 0) return { issues: sortIssues(issues, sources.map((s) => s.file)) };
  return { policy: toPolicy(merged), issues: [] };
}
