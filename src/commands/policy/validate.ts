import { Args } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { toErrorBody, usageError } from '../../cli/errors.js';
import { formatIssue, loadPolicy, PolicyError, type PolicyIssue } from '../../policy/schema/index.js';

/** What `kgate policy validate --json` returns for a valid policy. */
export interface ValidateResult {
  files: string[];
  clusters: string[];
  issuers: string[];
  grants: string[];
  rules: string[];
}

export default class PolicyValidate extends KgateCommand<ValidateResult> {
  static override summary = 'Check policy files, offline.';
  static override description = [
    'Reads, validates and merges the files as `kgate server --config` would. Prints a one-line summary, or each',
    'issue as `file:line:col field: message` and exits 2. `${NAME}` references expand from the environment.',
  ].join('\n');
  static override examples = ['<%= config.bin %> policy validate policy.yaml', '<%= config.bin %> policy validate base.yaml team-*.yaml --json'];
  static override strict = false;
  static override args = { file: Args.string({ description: 'policy file (several are merged)' }) };

  async run(): Promise<ValidateResult> {
    const { argv } = await this.parse(PolicyValidate);
    const files = argv as string[];
    // Checked here rather than by oclif, whose multi-line message would reach the user cut to its first line.
    if (files.length === 0) throw usageError('give at least one policy file', ['kgate policy validate FILE…']);
    const policy = await loadPolicy(files).catch((error: unknown) => {
      throw this.listIssues(error);
    });
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    this.say(`policy ok: ${count(policy.clusters.length, 'cluster')}, ${count(policy.issuers.length, 'issuer')}, ${count(policy.grants.length, 'grant')}, ${count(policy.rules.length, 'rule')}`);
    return {
      files,
      clusters: policy.clusters.map((c) => c.name),
      issuers: policy.issuers.map((i) => i.issuer),
      grants: policy.grants.map((g) => g.name),
      rules: policy.rules.map((r) => r.name),
    };
  }

  /** Prints each issue on its own line (text mode) and returns the error to exit with. */
  private listIssues(error: unknown): unknown {
    if (!(error instanceof PolicyError)) return error;
    if (!this.jsonEnabled()) for (const issue of error.issues) this.logToStderr(formatIssue(issue));
    return new PolicyError(error.issues, { listed: true });
  }

  protected override toErrorJson(error: unknown): { status: 'error'; error: ReturnType<typeof toErrorBody> & { issues?: PolicyIssue[] } } {
    const body = toErrorBody(error);
    return { status: 'error', error: error instanceof PolicyError ? { ...body, issues: error.issues } : body };
  }
}
