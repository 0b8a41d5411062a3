/**
 * The broker's request pipeline between the real kubectl 1.32 and the simulated apiserver: served
 * by the loopback listener with a local CA and a session kubeconfig, forwarding with the admin
 * token (the grant flow is wired later). Masking, guardrails, access reviews, exec and the §1.3
 * bypass are checked on what kubectl prints.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackListener, type LoopbackListener } from '../../../src/broker/listener/server.js';
import { openLocalCa } from '../../../src/broker/local-ca.js';
import { createPipeline, type Pipeline, type PipelineAuditRecord } from '../../../src/broker/pipeline/index.js';
import { writeSessionKubeconfig, type SessionKubeconfig } from '../../../src/broker/session-kubeconfig.js';
import { DETECTOR_NAMES } from '../../../src/mask/index.js';
import type { GuardrailRule } from '../../../src/policy/types.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';

const SESSION = 'session-token-for-pipeline-test';
const SECRET_PLAINTEXTS = ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word', 'app-prod', 'app-staging', 'watch-pa55-value'];
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const rules: GuardrailRule[] = [
  { name: 'no-namespace-deletion', match: { verbs: ['delete'], resources: ['namespaces'] }, effect: 'deny', message: 'namespaces are deleted through change management' },
  { name: 'prod-exec-approval', match: { resources: ['pods/exec'], namespaces: ['prod'] }, effect: 'approve', message: 'exec in prod needs a second person' },
];

let world: SimWorld;
let stateDir: string;
let listener: LoopbackListener;
let pipeline: Pipeline;
let session: SessionKubeconfig;
const audits: PipelineAuditRecord[] = [];

function leaks(text: string): string[] {
  return SECRET_PLAINTEXTS.flatMap((p) => [p, Buffer.from(p).toString('base64')]).filter((v) => text.includes(v));
}
const run = (args: string[], timeoutMs?: number) => kubectl(args, { kubeconfig: session.path, ...(timeoutMs ? { timeoutMs } : {}) });
const admin = (args: string[], input?: string) => kubectl(args, { kubeconfig: world.kubeconfig, ...(input ? { input } : {}) });

beforeAll(async () => {
  world = await startSimWorld();
  stateDir = await mkdtemp(join(tmpdir(), 'kgate-pipeline-'));
  const ca = await openLocalCa(stateDir);
  pipeline = createPipeline({
    upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
    principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
    cluster: 'sim',
    rules: () => rules,
    masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [...DETECTOR_NAMES], exemptGroups: [] },
    onAudit: (record) => audits.push(record),
    log: () => undefined,
  });
  listener = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: pipeline.handle, upgrade: pipeline.upgrade });
  session = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: SESSION, clusters: [{ name: 'sim' }] });
}, 60_000);

afterAll(async () => {
  await session?.dispose();
  await listener?.close();
  await pipeline?.close();
  await world?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test('get pods -A comes back as a Table', async () => {
  const r = await run(['get', 'pods', '-A']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/NAMESPACE\s+NAME\s+READY/);
  expect(r.stdout).toMatch(/prod\s+web/);
});

test.each([
  [['get', 'secrets', '-A', '-o', 'yaml']],
  [['get', 'secrets', '-A', '-o', 'json']],
  [['get', 'secrets', '-A']],
  [['get', 'secrets', '-A', '--sort-by=.metadata.name']],
  [['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']],
])('kubectl %j shows no secret value', async (args) => {
  const r = await run(args);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('db-credentials');
  expect(leaks(r.stdout + r.stderr)).toEqual([]);
});

test('a single secret carries the masking Warning', async () => {
  const r = await run(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
  expect(r.stderr).toMatch(/Warning: kgate masked \d+ secret values? in this response/);
});

test('a watch on secrets shows a new secret masked', async () => {
  const binary = (await kubectlBinary()).path;
  const child = spawn(binary, ['get', 'secret', '-n', 'staging', '-w', '-o', 'json'], { env: { ...process.env, KUBECONFIG: session.path, KUBECACHEDIR: scratchDir('kgate-kc-') } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const deadline = Date.now() + 10_000;
    while (!out.includes('db-credentials') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const created = await admin(['create', 'secret', 'generic', 'watched', '-n', 'staging', '--from-literal=token=watch-pa55-value']);
    expect(created.code).toBe(0);
    while (!out.includes('"watched"') && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 50));
  } finally {
    child.kill();
  }
  expect(out).toContain('"watched"');
  expect(leaks(out)).toEqual([]);
}, 20_000);

test('delete namespace is refused naming the rule', async () => {
  const r = await run(['delete', 'namespace', 'staging']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('Error from server (Forbidden)');
  expect(r.stderr).toContain('no-namespace-deletion: namespaces are deleted through change management');
  expect((await admin(['get', 'namespace', 'staging'])).code).toBe(0);
});

test('exec works in staging through the relay and is refused in prod', async () => {
  const ok = await run(['exec', '-n', 'staging', 'web', '--', 'echo', 'hello-from-staging']);
  expect(ok.stdout).toContain('hello-from-staging');
  expect(ok.code).toBe(0);
  const refused = await run(['exec', '-n', 'prod', 'web', '--', 'echo', 'nope']);
  expect(refused.code).not.toBe(0);
  expect(refused.stdout).not.toContain('nope');
  expect(refused.stderr).toContain('prod-exec-approval');
  expect(refused.stderr).toContain('approval');
});

test('auth can-i delete namespaces says no', async () => {
  const r = await run(['auth', 'can-i', 'delete', 'namespaces']);
  expect(r.code).toBe(1);
  expect(r.stdout.trim()).toBe('no - no-namespace-deletion: namespaces are deleted through change management');
  const yes = await run(['auth', 'can-i', 'get', 'pods']);
  expect(yes.stdout.trim()).toBe('yes');
});

test('logs are masked where a detector hits', async () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'leaky', namespace: 'prod' },
    spec: { containers: [{ name: 'leaky', image: 'registry.example/leaky:1', command: ['sh', '-c', `echo "key=${AWS_KEY}"; sleep 600`] }] },
  };
  expect((await admin(['apply', '-f', '-'], JSON.stringify(pod))).code).toBe(0);
  let r = await run(['logs', '-n', 'prod', 'leaky']);
  for (let i = 0; i < 40 && !r.stdout.includes('key='); i++) {
    await new Promise((res) => setTimeout(res, 100));
    r = await run(['logs', '-n', 'prod', 'leaky']);
  }
  expect(r.stdout).toContain('key=');
  expect(r.stdout).not.toContain(AWS_KEY);
  expect((await admin(['logs', '-n', 'prod', 'leaky'])).stdout).toContain(AWS_KEY);
  expect((await run(['logs', '-n', 'prod', 'web'])).stdout).toContain('prod web: GET /healthz 200');
}, 20_000);

test('a §1.3 bypass URL is refused and nothing is forwarded', async () => {
  const before = audits.length;
  const r = await run(['get', '--raw', '/api/v1/namespaces/default/pods/x/%2e%2e/%2e%2e/secrets']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/BadRequest|refused the request target/);
  expect(leaks(r.stdout + r.stderr)).toEqual([]);
  const record = audits.slice(before).find((a) => a.canonicalUrl === undefined);
  expect(record?.statusCode).toBe(400);
});

test('audit records carry decisions and masked counts', () => {
  expect(audits.some((a) => a.decision === 'deny' && a.rule === 'no-namespace-deletion' && a.statusCode === 403)).toBe(true);
  expect(audits.some((a) => a.maskedCount > 0 && a.info?.resource === 'secrets')).toBe(true);
  expect(audits.some((a) => a.exec?.exitCode === 0 && a.statusCode === 101)).toBe(true);
});

test('masking.exemptGroups: a member gets Secret values unmasked; the same policy masks everyone else', async () => {
  const ca = await openLocalCa(stateDir);
  const masking = { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [...DETECTOR_NAMES], exemptGroups: ['sre-breakglass'] };
  const serve = async (groups: string[]) => {
    const exempt = createPipeline({
      upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
      principal: { issuer: 'https://idp.example', subject: 'carol', name: 'carol', type: 'human', groups, claims: {} },
      cluster: 'sim', rules: () => rules, masking, onAudit: () => undefined, log: () => undefined,
    });
    const front = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: exempt.handle, upgrade: exempt.upgrade });
    const config = await writeSessionKubeconfig({ url: front.url, caCertificate: ca.certificate, token: SESSION, clusters: [{ name: 'sim' }] });
    try {
      const r = await kubectl(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json'], { kubeconfig: config.path });
      expect(r.code).toBe(0);
      return r;
    } finally {
      await config.dispose();
      await front.close();
      await exempt.close();
    }
  };
  const member = await serve(['dev', 'sre-breakglass']);
  expect(leaks(member.stdout)).not.toEqual([]);
  expect(member.stderr).not.toMatch(/kgate masked/);
  const other = await serve(['dev']);
  expect(leaks(other.stdout)).toEqual([]);
  expect(other.stderr).toMatch(/kgate masked/);
});

test('an unreachable apiserver is a 502 Status and the broker keeps serving', async () => {
  const ca = await openLocalCa(stateDir);
  const dead = createPipeline({
    upstream: { url: 'https://127.0.0.1:1', ca: world.tls.ca.cert, token: async () => ({ token: 'x', expiresAt: Date.now() + 3_600_000 }) },
    principal: { issuer: 'i', subject: 's', name: 'alice', type: 'human', groups: [], claims: {} },
    cluster: 'sim', rules: () => rules,
    masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [], exemptGroups: [] },
    onAudit: () => undefined, log: () => undefined,
  });
  const front = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: dead.handle, upgrade: dead.upgrade });
  const config = await writeSessionKubeconfig({ url: front.url, caCertificate: ca.certificate, token: SESSION, clusters: [{ name: 'sim' }] });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await kubectl(['get', '--raw', '/api/v1/namespaces'], { kubeconfig: config.path });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/could not be reached/);
    }
  } finally {
    await config.dispose();
    await front.close();
    await dead.close();
  }
});

test('a full audit spool refuses requests with a readable 503, and nothing is forwarded unaudited', async () => {
  const { openSpool } = await import('../../../src/audit/spool.js');
  const { createAuditSink } = await import('../../../src/broker/runtime/audit-sink.js');
  const spool = openSpool(join(stateDir, 'full-spool.db'), { maxBytes: 1 << 20, maxEvents: 1 });
  const principal = { id: 'https://idp.example#alice', issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human' as const, groups: [] };
  const sink = createAuditSink({ spool, session: 'full', principal, cluster: 'sim', detectors: [], log: () => undefined });
  let forwarded = 0;
  const gated = createPipeline({
    upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ((forwarded += 1), { token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
    principal: { issuer: principal.issuer, subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
    cluster: 'sim', rules: () => rules,
    masking: { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [], exemptGroups: [] },
    onAudit: (record) => sink.complete(record), admit: () => sink.admit(), log: () => undefined,
  });
  const ca = await openLocalCa(stateDir);
  const front = await startLoopbackListener({ ca, sessionTokens: [SESSION], handler: gated.handle, upgrade: gated.upgrade });
  const config = await writeSessionKubeconfig({ url: front.url, caCertificate: ca.certificate, token: SESSION, clusters: [{ name: 'sim' }] });
  try {
    // One event waits to be shipped and the cap is one: the spool is full.
    await sink.complete({ auditId: 'earlier', method: 'GET', decision: 'allow', outcome: 'forwarded', statusCode: 200, maskedCount: 0, startedAt: new Date(), endedAt: new Date() });
    const refused = await kubectl(['get', '--raw', '/api/v1/namespaces/staging'], { kubeconfig: config.path });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('audit spool is full');
    expect(forwarded).toBe(0);
    expect(spool.stats().pending).toBe(1);
  } finally {
    await config.dispose();
    await front.close();
    await gated.close();
    await spool.close();
  }
});
