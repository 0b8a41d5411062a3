import { Args, Flags } from '@oclif/core';
import { KgateCommand, ExitCode } from '../../cli/base-command.js';
import { toErrorBody, usageError } from '../../cli/errors.js';
import { parseCases, runCases, type CaseResult } from '../../policy/cases.js';
import { formatIssue, loadPolicy, PolicyError, type PolicyIssue } from '../../policy/schema/index.js';
import { readSources } from '../../policy/schema/load.js';

/** What `kgate policy test --json` returns. */
export interface PolicyTestResult {
  total: number;
  passed: number;
  failed: number;
  results: CaseResult[];
}

const NAME_WIDTH = 56;

export default class PolicyTest extends KgateCommand<PolicyTestResult> {
  static override summary = 'Run decision cases against policy files, offline.';
  static override description = [
    'Each case in CASES.yaml is a principal and a grant request (expect denied|active|pending) or an API request',
    '(expect allow|deny|approve, optionally rule: NAME). Runs every case, prints a table and every mismatch;',
    'exits 1 when any case does not match, 2 when a file has issues.',
  ].join('\n');
  static override examples = ['<%= config.bin %> policy test policy.yaml --cases cases.yaml'];
  static override strict = false;
  static override args = { file: Args.string({ description: 'policy file (several are merged)' }) };
  static override flags = { cases: Flags.string({ description: 'YAML file of test cases (kind: PolicyTest); required' }) };

  async run(): Promise<PolicyTestResult> {
    const { argv, flags } = await this.parse(PolicyTest);
    // Checked here rather than by oclif, whose multi-line message would reach the user cut to its first line.
    if (argv.length === 0) throw usageError('give at least one policy file', ['kgate policy test FILE… --cases CASES.yaml']);
    if (!flags.cases) throw usageError('--cases is required', ['kgate policy test FILE… --cases CASES.yaml']);
    const policy = await loadPolicy(argv as string[]).catch((error: unknown) => {
      throw this.listIssues(error);
    });
    const cases = await this.loadCases(flags.cases);
    const results = runCases(policy, cases);
    const failed = results.filter((r) => !r.pass);
    this.render(results, failed);
    if (failed.length > 0) process.exitCode = ExitCode.Error;
    return { total: results.length, passed: results.length - failed.length, failed: failed.length, results };
  }

  private async loadCases(file: string) {
    const issues: PolicyIssue[] = [];
    const [source] = await readSources([file], issues);
    const parsed = source ? parseCases(source, { env: process.env }) : { issues };
    if (parsed.issues.length > 0 || !parsed.cases) throw this.listIssues(new PolicyError(parsed.issues, { what: 'the cases file' }));
    return parsed.cases;
  }

  private render(results: CaseResult[], failed: CaseResult[]): void {
    const width = Math.min(NAME_WIDTH, Math.max(4, ...results.map((r) => r.name.length)));
    const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width));
    // Wide enough for the longest expectation (a rule name can be long), so GOT stays a column.
    const expectedWidth = Math.max(40, ...results.map((r) => r.expected.length + 2));
    this.say(`RESULT  ${'CASE'.padEnd(width)}  ${'EXPECTED'.padEnd(expectedWidth)}GOT`);
    for (const r of results) this.say(`${r.pass ? 'pass  ' : 'FAIL  '}  ${cut(r.name)}  ${r.expected.padEnd(expectedWidth)}${r.actual}`);
    this.say();
    for (const r of failed) {
      this.say(`mismatch: ${JSON.stringify(r.name)} (${r.at.file}:${r.at.line}:${r.at.column}): expected ${r.expected}, got ${r.actual}${r.message ? ` — ${r.message}` : ''}`);
    }
    this.say(`${results.length} cases: ${results.length - failed.length} passed, ${failed.length} failed`);
  }

  private listIssues(error: unknown): unknown {
    if (!(error instanceof PolicyError)) return error;
    if (!this.jsonEnabled()) for (const issue of error.issues) this.logToStderr(formatIssue(issue));
    return new PolicyError(error.issues, { what: error.what, listed: true });
  }

  protected override toErrorJson(error: unknown): { status: 'error'; error: ReturnType<typeof toErrorBody> & { issues?: PolicyIssue[] } } {
    const body = toErrorBody(error);
    return { status: 'error', error: error instanceof PolicyError ? { ...body, issues: error.issues } : body };
  }
}
