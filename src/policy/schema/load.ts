/** Reading policy files from disk: the only I/O of the policy language. */
import { readFile, stat } from 'node:fs/promises';
import { ExitCode, KgateError } from '../../cli/errors.js';
import type { Policy } from '../types.js';
import type { PolicyEnv } from './env.js';
import { countIssues, formatIssue, type PolicyIssue } from './issues.js';
import { parsePolicy, type PolicySource } from './parse.js';
import { MAX_POLICY_BYTES } from './source.js';

/** A policy (or cases file) that cannot be used, with every issue found. Exit code 2 (configuration). */
export class PolicyError extends KgateError {
  readonly issues: PolicyIssue[];
  /** What has the issues, e.g. `the policy`. */
  readonly what: string;

  /**
   * @param opts.what what has the issues (`the policy`, `the cases file`);
   * @param opts.listed the issues were already printed one per line, so the message need not repeat one.
   */
  constructor(issues: PolicyIssue[], opts: { what?: string; listed?: boolean } = {}) {
    const first = issues[0];
    const summary = `${opts.what ?? 'the policy'} has ${countIssues(issues.length)}`;
    super(opts.listed || !first ? summary : `${summary}; first: ${formatIssue(first)}`, {
      code: 'KGATE_POLICY_INVALID',
      exit: ExitCode.Usage,
      suggestions: opts.listed ? [] : ['Run `kgate policy validate FILE…` to see every issue.'],
    });
    this.name = 'PolicyError';
    this.issues = issues;
    this.what = opts.what ?? 'the policy';
  }
}

/**
 * Reads files for {@link parsePolicy}-style parsers; files that are missing, unreadable or over the
 * size limit become issues (line 0) instead of exceptions.
 */
export async function readSources(files: string[], issues: PolicyIssue[]): Promise<PolicySource[]> {
  const sources: PolicySource[] = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      if (info.size > MAX_POLICY_BYTES) {
        issues.push({ file, line: 0, column: 0, path: '', message: `file is larger than ${MAX_POLICY_BYTES / 1024} KiB; refusing to read it` });
        continue;
      }
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTFILE' ? 'not a regular file' : (error as Error).message;
      issues.push({ file, line: 0, column: 0, path: '', message: `cannot read: ${why}` });
    }
  }
  return sources;
}

/**
 * Reads, validates and merges policy files. A file that cannot be read stops here: checking the
 * others alone would report references into the missing one as errors. `${NAME}` references expand from `env` (default
 * `process.env`).
 * @throws PolicyError with every issue when any file cannot be read or has problems.
 */
export async function loadPolicy(files: string[], options: { env?: PolicyEnv } = {}): Promise<Policy> {
  const readIssues: PolicyIssue[] = [];
  const sources = await readSources(files, readIssues);
  if (readIssues.length > 0) throw new PolicyError(readIssues);
  const { policy, issues } = parsePolicy(sources, { env: options.env ?? process.env });
  if (issues.length > 0 || !policy) throw new PolicyError(issues);
  return policy;
}
