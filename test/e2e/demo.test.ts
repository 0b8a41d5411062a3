/**
 * The README's main job must keep working: the demo script (what `npm run demo` runs after its
 * build; `npm test` builds first) walks the whole governed flow and checks each step itself. Here
 * the printed facts are checked again from the outside: masked values and no secret value
 * anywhere, the guardrail's refusal, the held exec approved by carol, the replayed recording and
 * the verified audit trail.
 */
import { beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';

const SECRETS = ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word', 'app-prod', 'app-staging', 'AKIAIOSFODNN7EXAMPLE'];
const MASKED_SECRET = Buffer.from('***MASKED:secret***').toString('base64');

let code: number | null;
let out: string;

/** The text the demo printed under the step whose command line starts with `$ command`. */
function step(command: string): string {
  const start = out.indexOf(`\n$ ${command}`);
  if (start < 0) return '';
  const end = out.slice(start + 1).search(/\n\n/);
  return end < 0 ? out.slice(start) : out.slice(start, start + 1 + end);
}

beforeAll(async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
  out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  code = await new Promise<number | null>((resolve) => child.on('close', resolve));
}, 120_000);

it('walks every step and exits 0', () => {
  expect({ code, tail: out.slice(-600) }).toMatchObject({ code: 0 });
  expect(out).toContain('demo finished: every step showed what it should.');
});

it('logs the CI job in with its GitHub Actions token and gets operate at once', () => {
  expect(step('kgate login --github-actions')).toMatch(/workload via github-actions/);
  expect(step('kgate grants request --grant operate')).toMatch(/Grant \w+ is active: ClusterRole edit in all namespaces/);
});

it('shows secrets masked and prints no secret value, plain or base64', () => {
  const secrets = step('kgate exec --grant operate -- kubectl get secrets -A -o yaml');
  expect(secrets).toContain('name: db-credentials');
  expect(secrets).toContain(`password: ${MASKED_SECRET}`);
  expect(SECRETS.flatMap((s) => [s, Buffer.from(s).toString('base64')]).filter((s) => out.includes(s))).toEqual([]);
});

it('refuses kubectl delete namespace with the guardrail\'s message', () => {
  const deletion = step('kgate exec --grant operate -- kubectl delete namespace staging');
  expect(deletion).toContain('Error from server (Forbidden)');
  expect(deletion).toContain('no-namespace-deletion: Deleting namespaces is not allowed through kgate');
  expect(deletion).toContain('namespace staging is still Active');
});

it('holds the exec in prod until carol approves it, then runs it masked', () => {
  const [, approval] = /is held for approval \(prod-exec-needs-approval\)\. Approvers run: kgate approve (\S+)/.exec(out) ?? [];
  expect(approval).toBeDefined();
  expect(step(`kgate approve ${approval}`)).toMatch(new RegExp(`logged in as Carol Clark \\(sre-leads\\)\\n\\s+Approval ${approval} is approved`));
  const ran = step('(the held kgate exec, continued)');
  expect(ran).toContain(`approval ${approval} granted`);
  expect(ran).toContain('APP_ENV=prod');
  expect(ran).toContain('DB_PASSWORD=***MASKED:secret***');
});

it('replays the recording of that exec, masked', () => {
  const replay = step('kgate audit replay ');
  expect(replay).toContain('APP_ENV=prod');
  expect(replay).toContain('DB_PASSWORD=***MASKED:secret***');
});

it('shows the audit trail and verifies it', () => {
  expect(step('kgate audit search --grant')).toMatch(/delete\s+namespaces\s+staging\s+staging\s+deny/);
  expect(out).toMatch(/pods\/exec\s+prod\s+web\s+allow/);
  const verify = step('kgate audit verify');
  expect(verify).toMatch(/^\s+(gw\.)?[0-9a-f-]{36}\s+\d+\s+[\d-]+\s+ok, ended$/m);
  expect(verify).toMatch(/Audit trail intact: \d+ chained events in [1-9]\d* sessions?\./);
});

it('still shows the grant that waits for an approver and what a grant is underneath', () => {
  expect(out).toContain('you cannot approve your own request');
  expect(out).toMatch(/Grant \w+ is active: ClusterRole edit in namespace apps/);
  expect(step('kubectl auth whoami')).toContain('kgate:grant-demo');
});
