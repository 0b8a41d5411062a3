/**
 * `kgate policy validate` and `kgate policy test` as users run them: the BUILT CLI (`npm run build`
 * first) in a child process, the same Node that runs jest.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const KGATE = join(ROOT, 'bin/run.js');
const SAMPLE_POLICY = join(ROOT, 'test/sim/policy/sample-policy.yaml');
const SAMPLE_CASES = join(ROOT, 'test/sim/policy/sample-cases.yaml');
const SIM_ENV = {
  SIM_STS_ENDPOINT: 'https://127.0.0.1:41001',
  SIM_EKS_ENDPOINT: 'https://127.0.0.1:41002',
  SIM_CA_FILE: '/tmp/kgate-sim/ca.crt',
  KGATE_ISSUER: 'https://127.0.0.1:41000',
  SIM_GHA_ISSUER: 'https://127.0.0.1:41003',
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kgate(args: string[], env: Record<string, string> = SIM_ENV): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KGATE, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('kgate policy (built CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kgate-policy-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('validates the sample policy: exit 0 and a one-line summary', async () => {
    const run = await kgate(['policy', 'validate', SAMPLE_POLICY]);
    expect(run).toEqual({ code: 0, stdout: 'policy ok: 2 clusters, 2 issuers, 4 grants, 3 rules\n', stderr: '' });
  });

  it('reports each issue of a broken file as file:line:col field: message and exits 2', async () => {
    const text = (await readFile(SAMPLE_POLICY, 'utf8')).replace('maxTTL: 4h', 'maxTTL: forever').replace('effect: deny', 'effect: block');
    const file = join(dir, 'broken.yaml');
    await writeFile(file, text);
    const lines = text.split('\n');
    const ttlLine = lines.findIndex((l) => l.includes('maxTTL: forever')) + 1;
    const effectLine = lines.findIndex((l) => l.includes('effect: block')) + 1;
    const run = await kgate(['policy', 'validate', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      `${file}:${ttlLine}:15 spec.grants[1].maxTTL: expected a duration like 15m or 1h, got "forever"`,
      `${file}:${effectLine}:15 spec.rules[0].effect: expected one of "allow", "deny", "approve", got "block"`,
    ]);
    expect(run.stderr).toContain('the policy has 2 issues');

    const json = await kgate(['policy', 'validate', file, '--json']);
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout) as { status: string; error: { code: string; exitCode: number; issues: unknown[] } };
    expect(body.status).toBe('error');
    expect(body.error.code).toBe('KGATE_POLICY_INVALID');
    expect(body.error.exitCode).toBe(2);
    expect(body.error.issues).toEqual([
      { file, line: ttlLine, column: 15, path: 'spec.grants[1].maxTTL', message: 'expected a duration like 15m or 1h, got "forever"' },
      { file, line: effectLine, column: 15, path: 'spec.rules[0].effect', message: 'expected one of "allow", "deny", "approve", got "block"' },
    ]);
  });

  it('names the variables a policy needs when they are not set', async () => {
    const run = await kgate(['policy', 'validate', SAMPLE_POLICY], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/sample-policy\.yaml:\d+:\d+ spec\.clusters\[0\]\.stsEndpoint: environment variable SIM_STS_ENDPOINT is not set/);
  });

  it('runs the sample cases: every one passes, exit 0', async () => {
    const run = await kgate(['policy', 'test', SAMPLE_POLICY, '--cases', SAMPLE_CASES]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^RESULT\s+CASE\s+EXPECTED\s+GOT$/m);
    expect(run.stdout).toMatch(/^pass\s+deleting a namespace is denied\s+deny \(rule no-namespace-deletion\)\s+deny \(rule no-namespace-deletion\)$/m);
    expect(run.stdout).toMatch(/^pass\s+creating a pod in prod waits for an SRE lead\s+approve \(rule prod-workloads-need-approval\)\s+approve \(rule prod-workloads-need-approval\)$/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).toMatch(/^28 cases: 28 passed, 0 failed$/m);
  });

  it('runs all cases, lists every mismatch and exits 1', async () => {
    const cases = (await readFile(SAMPLE_CASES, 'utf8'))
      .replace(/(bob \(dev\) gets read-only at once[\s\S]*?expect: )active/, '$1pending')
      .replace(/(exec in staging is allowed[\s\S]*?expect: )allow/, '$1deny');
    const file = join(dir, 'cases.yaml');
    await writeFile(file, cases);
    const line = (needle: string) => cases.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const run = await kgate(['policy', 'test', SAMPLE_POLICY, '--cases', file]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('FAIL')).length).toBe(2);
    expect(run.stdout).toContain(`mismatch: "bob (dev) gets read-only at once" (${file}:${line('bob (dev) gets read-only at once')}:5): expected pending, got active`);
    expect(run.stdout).toContain(`mismatch: "exec in staging is allowed" (${file}:${line('exec in staging is allowed')}:5): expected deny, got allow`);
    expect(run.stdout).toMatch(/^28 cases: 26 passed, 2 failed$/m);

    const json = await kgate(['policy', 'test', SAMPLE_POLICY, '--cases', file, '--json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { status: string; result: { total: number; failed: number; results: { name: string; pass: boolean }[] } };
    expect(body.result.total).toBe(28);
    expect(body.result.results.filter((r) => !r.pass).map((r) => r.name)).toEqual(['bob (dev) gets read-only at once', 'exec in staging is allowed']);
  });

  it('exits 2 for a cases file with issues', async () => {
    const file = join(dir, 'bad-cases.yaml');
    await writeFile(file, 'kind: PolicyTest\ncases:\n  - name: x\n    expect: sometimes\n');
    const run = await kgate(['policy', 'test', SAMPLE_POLICY, '--cases', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:3:5 cases[0].principal: required field is missing`);
    expect(run.stderr).toContain('the cases file has');
  });
});
