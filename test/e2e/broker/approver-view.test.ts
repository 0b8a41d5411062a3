/**
 * Approvers see exactly what they approve (issue 11, hole 3), in both access modes. The CI machine
 * runs the real kubectl under `kgate exec`; a prod exec whose command hides a command substitution
 * behind a password-looking assignment is held. carol, an approver, runs the built CLI (after a real
 * device login, scripts/as.ts) and sees the command in full with the detector's match highlighted;
 * the requester, a non-approver, the requester's own terminal and the audit trail see it masked.
 * A held ConfigMap patch shows the approver its exact body, the patch re-indented and its patch type,
 * and runs once approved; a held body over 256 KiB is refused before anyone is asked.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent } from '../../../src/audit/event.js';
import type { ApprovalView } from '../../../src/policy/server/api.js';
import { SAMPLE_POLICY, startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';
import { runKgate, simCliEnv, startKgate } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, until } from '../policy/support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The command of the issue: `token="…"` looks like a password assignment, so the detector masks it. */
const ATTACK = 'token="$(touch /tmp/pwned)"';
const HIDDEN = 'touch /tmp/pwned';
const PATCH_VALUE = 'p4ss-w0rd-for-review';

/** The sample policy, plus a rule that holds ConfigMap writes in prod (the sample holds only exec). */
function policyWithHeldWrites(): string {
  const rule = `  rules:
    - name: prod-config-writes-need-approval
      match:
        verbs: [patch, update]
        resources: [configmaps]
        namespaces: [prod]
      effect: approve
      message: changes to ConfigMaps in prod are held until an SRE lead approves them.
      approval:
        groups: [sre-leads]
        count: 1
        expiresAfter: 15m
`;
  const text = readFileSync(SAMPLE_POLICY, 'utf8');
  if (!text.includes('\n  rules:\n')) throw new Error('the sample policy has no rules section');
  const file = join(scratchDir('kgate-approver-policy-'), 'policy.yaml');
  writeFileSync(file, text.replace('\n  rules:\n', `\n${rule}`));
  return file;
}

let world: SimWorld;
let server: SimPolicyServer;
let kubectlPath: string;
let carol: ReturnType<typeof apiAs>;
let ci: ReturnType<typeof apiAs>;
let bob: ReturnType<typeof apiAs>;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world, { policyFile: policyWithHeldWrites() });
  kubectlPath = (await kubectlBinary()).path;
  const [carolToken, ciToken, bobToken] = await Promise.all([personToken(world, 'carol'), machineToken(world, 'ci-deployer'), personToken(world, 'bob')]);
  carol = apiAs(world, server.url, carolToken);
  ci = apiAs(world, server.url, ciToken);
  bob = apiAs(world, server.url, bobToken);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell script as a sim person logged in for real, `kgate` being this checkout's CLI. */
function asPerson(person: string, script: string): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/as.ts'), '--', person, '--', 'sh', '-c', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...world.env, ...server.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** carol's `kgate approvals show ID`, `… --json` and `kgate approvals list`, in one login. */
async function carolsView(id: string): Promise<{ show: string; json: ApprovalView; list: string }> {
  const r = await asPerson('carol', `kgate approvals show ${id} && echo '<<>>' && kgate approvals show ${id} --json && echo '<<>>' && kgate approvals list`);
  expect(r.code).toBe(0);
  const [show, json, list] = r.stdout.split('<<>>\n');
  return { show: show!, json: (JSON.parse(json!) as { result: ApprovalView }).result, list: list! };
}

async function auditEvents(): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await carol<{ items: AuditEvent[]; next?: string }>('GET', `/v1/audit/events?${new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) })}`);
    expect(page.status).toBe(200);
    events.push(...page.body.items);
    cursor = page.body.next;
  } while (cursor);
  return events;
}

describe.each(['gateway', 'broker'] as const)('through the %s', (mode) => {
  const home = () => scratchDir(`kgate-approver-${mode}-`);
  const env = () => simCliEnv(home(), { ...world.env, ...server.env, KGATE_CLUSTER: mode === 'broker' ? server.env.KGATE_BROKER_CLUSTER : server.env.KGATE_CLUSTER });
  const kc = (args: string[], timeoutMs = 90_000) => startKgate(['exec', '--grant', 'operate', '--', kubectlPath, ...args], { env: env(), timeoutMs });

  test('the approver sees the hidden command in full and highlighted; requester, others and the audit trail see it masked', async () => {
    const run = kc(['exec', '-n', 'prod', 'web', '--', 'sh', '-c', ATTACK]);
    const [, id] = await run.waitFor(/kgate approve (\S+)/, 30_000);

    const view = await carolsView(id!);
    expect(view.show).toContain('Command:    3 arguments, each exactly as it will run:');
    expect(view.show).toContain('  [2] token="[[$(touch /tmp/pwned)]]"');
    expect(view.show).toContain('what secret detectors matched (password-assignment)');
    expect(view.json.detail?.command?.[2]).toEqual({ text: ATTACK, highlights: [{ start: 7, end: 26, detector: 'password-assignment' }] });
    expect(view.json.detail?.target).toMatchObject({ namespace: 'prod', resource: 'pods', name: 'web', subresource: 'exec', container: 'web' });
    expect(view.json.detail?.digest).toBe(view.json.request?.digest);
    expect(view.list).toContain(`-- sh -c token="[[$(touch /tmp/pwned)]]"`);

    const requester = await ci<ApprovalView>('GET', `/v1/approvals/${id}`);
    expect(requester.status).toBe(200);
    expect(requester.body.detail).toBeUndefined();
    expect(requester.body.request?.command).toEqual(['sh', '-c', 'token="***MASKED:password-assignment***"']);
    const mine = await ci<{ items: ApprovalView[] }>('GET', '/v1/approvals?mine=true');
    expect(JSON.stringify(mine.body)).not.toContain(HIDDEN);
    expect((await bob('GET', `/v1/approvals/${id}`)).status).toBe(403);

    // Seen for what it is, and denied: the hidden part never runs.
    expect((await carol('POST', `/v1/approvals/${id}/deny`, { reason: 'a command substitution hides in that assignment' })).status).toBe(200);
    const r = await run.done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('a command substitution hides in that assignment');
    expect(r.stderr).toContain('token="***MASKED:password-assignment***"');
    expect(r.stderr).not.toContain(HIDDEN);

    // Decided: the exact request is gone, for approvers too.
    expect((await carol<ApprovalView>('GET', `/v1/approvals/${id}`)).body.detail).toBeUndefined();
    // The audit trail names the approval and the masked command, never the hidden part.
    let related: AuditEvent[] = [];
    await until(async () => {
      related = (await auditEvents()).filter((e) => e.annotations?.['kgate.dev/approval'] === id);
      return related.some((e) => e.objectRef?.subresource === 'exec');
    }, 15_000, 'the audit event of the held exec');
    expect(related.map((e) => e.verb)).toEqual(expect.arrayContaining(['create', 'deny']));
    expect(JSON.stringify(related)).toContain('MASKED');
    expect(JSON.stringify(related)).not.toContain(HIDDEN);
    expect(JSON.stringify(related)).not.toContain(encodeURIComponent(HIDDEN));
  }, 120_000);

  test('a held patch shows the approver its exact body, pretty-printed with its patch type, and runs once approved', async () => {
    // Keys in the order kubectl's YAML-to-JSON conversion writes them, so the bytes are these.
    const patch = JSON.stringify({ data: { mode, password: PATCH_VALUE } });
    const run = kc(['patch', 'configmap', 'app-config', '-n', 'prod', '--type=merge', '-p', patch]);
    const [, id] = await run.waitFor(/kgate approve (\S+)/, 30_000);
    expect((await run.waitFor(/held for approval[^\n]*/, 1000))[0]).not.toContain(PATCH_VALUE);

    const view = await carolsView(id!);
    const body = view.json.detail?.body;
    expect(body).toMatchObject({ contentType: 'application/merge-patch+json', patchType: 'merge', bytes: Buffer.byteLength(patch) });
    expect(body?.text?.text).toBe(patch);
    expect(body?.pretty?.text).toBe(`{\n  "data": {\n    "mode": "${mode}",\n    "password": "${PATCH_VALUE}"\n  }\n}`);
    expect(view.show).toContain('Body:       ');
    expect(view.show).toContain('(JSON merge patch (RFC 7386))');
    expect(view.show).toContain(`      "password": "[[${PATCH_VALUE}]]"\n`);
    expect(view.list).toContain('merge patch');
    const requester = await ci<ApprovalView>('GET', `/v1/approvals/${id}`);
    expect(JSON.stringify(requester.body)).not.toContain(PATCH_VALUE);

    expect((await carol('POST', `/v1/approvals/${id}/approve`, { reason: 'rotation' })).status).toBe(200);
    const r = await run.done;
    expect(r.stderr).toContain(`approval ${id} granted`);
    expect(r.code).toBe(0);
    const applied = await kubectl(['get', 'configmap', 'app-config', '-n', 'prod', '-o', 'jsonpath={.data.mode}'], { kubeconfig: world.kubeconfig });
    expect(applied.stdout).toBe(mode);
  }, 120_000);

  test('a held write whose body is over 256 KiB is refused with a Status before anyone is asked', async () => {
    const before = (await carol<{ items: ApprovalView[] }>('GET', '/v1/approvals?state=pending')).body.items.length;
    // From a file: one argument of 300 KiB is more than execve takes.
    const patchFile = join(scratchDir('kgate-big-patch-'), 'patch.json');
    writeFileSync(patchFile, JSON.stringify({ data: { big: 'x'.repeat(300 * 1024) } }));
    const r = await runKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'patch', 'configmap', 'app-config', '-n', 'prod', '--type=merge', '--patch-file', patchFile], { env: env(), timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Request entity too large: a request held for approval may carry at most 262144 bytes (256 KiB) of body');
    expect((await carol<{ items: ApprovalView[] }>('GET', '/v1/approvals?state=pending')).body.items.length).toBe(before);
  }, 90_000);
});
