/**
 * `kgate exec` end to end, as a CI job runs it: the built CLI logs in as the `ci-deployer` machine
 * (client credentials from the environment, no prompt), gets an `operate` grant from the policy
 * service and runs the real kubectl (and the client-go MCP server) through the gate: the kgate
 * gateway for the sample's gateway cluster, or a local broker for its broker-mode entry. The same
 * suite runs in both modes (kgate-exec.gateway.test.ts, kgate-exec.broker.test.ts). Checked on
 * what the tools print, on the cluster as its admin sees it, and on the audit trail and recordings
 * the policy service holds.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyChain } from '../../../src/audit/chain.js';
import type { AuditEvent } from '../../../src/audit/event.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl, kubectlBinary } from '../../support/kubectl.js';
import { McpClient } from '../../support/mcp.js';
import { runKgate, simCliEnv, startKgate, type KgateRun } from '../identity/kgate-cli.js';
import { apiAs, personToken, until } from '../policy/support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SECRETS = ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word', 'app-prod', 'app-staging', 'exec-test-pa55word', 'last-applied-pa55word'];
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const MASKED = '***MASKED:secret***';
const MCP_PACKAGE = 'kubernetes-mcp-server-linux-amd64';

/** The whole suite, against the gateway or a local broker. */
export function kgateExecSuite(mode: 'gateway' | 'broker'): void {
describe(`kgate exec through the ${mode}`, () => {
  let world: SimWorld;
  let server: SimPolicyServer;
  let sandbox: string;
  let kubectlPath: string;
  let carol: ReturnType<typeof apiAs>;

  function leaks(text: string): string[] {
    return SECRETS.flatMap((p) => [p, Buffer.from(p).toString('base64')]).filter((v) => text.includes(v));
  }

  function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    const cluster = mode === 'broker' ? server.env.KGATE_BROKER_CLUSTER : server.env.KGATE_CLUSTER;
    return simCliEnv(sandbox, { ...world.env, ...server.env, KGATE_CLUSTER: cluster }, extra);
  }

  const exec = (command: string[], options: { flags?: string[]; input?: string; timeoutMs?: number } = {}): Promise<KgateRun> =>
    runKgate(['exec', '--grant', 'operate', ...(options.flags ?? []), '--', ...command], { env: env(), timeoutMs: options.timeoutMs ?? 60_000, ...(options.input !== undefined ? { input: options.input } : {}) });
  const kc = (args: string[], options: { input?: string } = {}) => exec([kubectlPath, ...args], options);
  const admin = (args: string[], input?: string) => kubectl(args, { kubeconfig: world.kubeconfig, ...(input ? { input } : {}) });

  async function auditEvents(query: Record<string, string> = {}): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const params = new URLSearchParams({ ...query, limit: '1000', ...(cursor ? { cursor } : {}) });
      const page = await carol('GET', `/v1/audit/events?${params}`);
      expect(page.status).toBe(200);
      const body = page.body as { items: AuditEvent[]; next?: string };
      events.push(...body.items);
      cursor = body.next;
    } while (cursor);
    return events;
  }

  const brokerEvents = (events: AuditEvent[]) => events.filter((e) => e.annotations?.['kgate.dev/session']);

  beforeAll(async () => {
    world = await startSimWorld();
    server = await startSimPolicyServer(world);
    sandbox = await mkdtemp(join(tmpdir(), 'kgate-exec-'));
    kubectlPath = (await kubectlBinary()).path;
    carol = apiAs(world, server.url, await personToken(world, 'carol'));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await world?.close();
    if (sandbox) await rm(sandbox, { recursive: true, force: true });
  });

  test('kubectl get secrets -A -o yaml works through kgate exec with every value masked', async () => {
    const r = await kc(['get', 'secrets', '-A', '-o', 'yaml']);
    expect(r.stderr).toBe('Warning: kgate masks the values of the Secrets in this response\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: db-credentials');
    expect(r.stdout).toContain('namespace: prod');
    expect(leaks(r.stdout)).toEqual([]);
    expect((await admin(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.data.password}'])).stdout).toBe(Buffer.from('prod-S3cr3t-pa55word').toString('base64'));
  });

  test.each([
    [['get', 'secrets', '-A', '-o', 'json']],
    [['get', 'secrets', '-A']],
    [['get', 'secrets', '-A', '--sort-by=.metadata.name']],
    [['get', 'secret', 'db-credentials', '-n', 'staging', '-o', 'jsonpath={.data}']],
  ])('kubectl %j shows no secret value', async (args) => {
    const r = await kc(args);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  test('a single secret carries the masking Warning kubectl prints', async () => {
    const r = await kc(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Warning: kgate masked 2 secret values in this response/);
  });

  test('create, apply, get and delete work, and last-applied is masked', async () => {
    const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\n  namespace: apps\nstringData:\n  password: last-applied-pa55word\n`;
    const applied = await kc(['apply', '-f', '-'], { input: manifest });
    expect(applied.stderr).toMatch(/^Warning: kgate masked \d+ secret values? in this response\n$/);
    expect(applied.stdout).toContain('secret/applied created');
    const created = await kc(['create', 'configmap', 'made-by-ci', '-n', 'apps', '--from-literal=release=1.4']);
    expect(created.stdout).toContain('configmap/made-by-ci created');
    const shown = await kc(['get', 'secret', 'applied', '-n', 'apps', '-o', 'yaml']);
    expect(shown.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
    expect(leaks(shown.stdout)).toEqual([]);
    expect((await admin(['get', 'secret', 'applied', '-n', 'apps', '-o', 'jsonpath={.data.password}'])).stdout).toBe(Buffer.from('last-applied-pa55word').toString('base64'));
    const deleted = await kc(['delete', 'configmap', 'made-by-ci', '-n', 'apps']);
    expect(deleted.stdout).toContain('configmap "made-by-ci" deleted');
    expect((await admin(['get', 'configmap', 'made-by-ci', '-n', 'apps'])).code).not.toBe(0);
  });

  test('a JSON patch that copies, moves or tests Secret data is refused before it reaches the API server, and audited', async () => {
    const secret = (ops: unknown[], extra: string[] = []) => ['-n', 'prod', 'patch', 'secret', 'db-credentials', '--type=json', '--dry-run=server', '-p', JSON.stringify(ops), '-o', 'yaml', ...extra];
    // The attack, into every field it went through, and a test op used as an oracle.
    const attacks = [
      ...['/metadata/annotations/x', '/metadata/generateName', '/metadata/finalizers/-', '/metadata/labels/x', '/type'].map((path) => [{ op: 'copy', from: '/data/password', path }]),
      [{ op: 'move', from: '/data', path: '/metadata/annotations' }],
      [{ op: 'test', path: '/data/password', value: Buffer.from('prod-S3cr3t-pa55word').toString('base64') }],
    ];
    for (const ops of attacks) {
      const r = await kc(secret(ops));
      expect([JSON.stringify(ops), r.code]).toEqual([JSON.stringify(ops), 1]);
      expect(r.stderr).toMatch(/Error from server \(Forbidden\): secrets "db-credentials" is forbidden: .*JSON patch operation 0 \((copy|move|test)\) .* kgate refuses copy, move and test on masked values/);
      expect(leaks(r.stdout + r.stderr)).toEqual([]);
    }
    const events = (await auditEvents({ resource: 'secrets', namespace: 'prod' })).filter((e) => e.verb === 'patch' && e.stage === 'ResponseComplete');
    expect(events.filter((e) => e.responseStatus?.code === 403 && /copies from "\/data\/password"/.test(e.responseStatus.message ?? ''))).toHaveLength(5);
    expect(JSON.stringify(events)).not.toContain(Buffer.from('prod-S3cr3t-pa55word').toString('base64'));
    expect((await admin(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.metadata.annotations}{.type}'])).stdout).toBe('Opaque');
  });

  test('a patch the API server cannot decode quotes the Secret in its error, and kgate masks it there', async () => {
    // A value of the wrong type: the apiserver answers 422 with the whole patched object as the invalid value.
    for (const args of [['--type=merge', '-p', '{"type":5}'], ['--type=json', '-p', '[{"op":"add","path":"/metadata/labels","value":{"a":1}}]']]) {
      const r = await kc(['-n', 'prod', 'patch', 'secret', 'db-credentials', '--dry-run=server', ...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, expect.stringContaining('json: cannot unmarshal number into Go struct field ')]);
      expect(r.stderr).toContain('db-credentials');
      // The quoted Secret is masked as a Secret: its data values are base64 markers.
      expect(r.stderr).toContain(Buffer.from('***MASKED:secret***').toString('base64'));
      expect(leaks(r.stdout + r.stderr)).toEqual([]);
    }
  });

  test('a ConfigMap value copied into metadata on a dry run still goes through the detectors', async () => {
    const ops = [
      { op: 'copy', from: '/data/settings.ini', path: '/metadata/generateName' },
      { op: 'add', path: '/metadata/finalizers', value: [] },
      { op: 'copy', from: '/data/AWS_ACCESS_KEY_ID', path: '/metadata/finalizers/-' },
    ];
    const r = await kc(['-n', 'prod', 'patch', 'configmap', 'app-config', '--type=json', '--dry-run=server', '-p', JSON.stringify(ops), '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('generateName:');
    expect(r.stdout).toContain('MASKED:password-assignment');
    expect(r.stdout).not.toContain('hunter2-prod');
    expect(r.stdout).not.toContain(AWS_KEY);
  });

  test('kubectl delete namespace is refused with the rule\'s message and the namespace stays', async () => {
    const r = await kc(['delete', 'namespace', 'staging']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden)');
    expect(r.stderr).toContain('no-namespace-deletion: Deleting namespaces is not allowed through kgate; ask the platform team.');
    expect((await admin(['get', 'namespace', 'staging', '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Active');
  });

  test('auth can-i tells the truth about the guardrails and RBAC', async () => {
    const ns = await kc(['auth', 'can-i', 'delete', 'namespaces']);
    expect(ns.stdout.trim()).toMatch(/^no - no-namespace-deletion/);
    const pods = await kc(['auth', 'can-i', 'list', 'pods', '-n', 'staging']);
    expect(pods.stdout.trim()).toBe('yes');
  });

  test('exec passes stdin, output and the exit code through, masked', async () => {
    const r = await kc(['exec', '-i', '-n', 'staging', 'web', '--', 'sh', '-c', `read line; echo "got $line"; echo "key=${AWS_KEY}"; exit 7`], { input: 'exec-test-pa55word\n' });
    expect(r.code).toBe(7);
    expect(r.stdout).toContain('got ');
    expect(r.stdout).toContain('key=');
    expect(r.stdout).not.toContain(AWS_KEY);
  });

  test('exec printenv of a Secret-backed variable shows it masked, and the recording holds only the mask', async () => {
    const r = await kc(['exec', '-n', 'staging', 'web', '--', 'printenv', 'DB_PASSWORD']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${MASKED}\n`);
    expect((await admin(['exec', '-n', 'staging', 'web', '--', 'printenv', 'DB_PASSWORD'])).stdout).toBe('staging-S3cr3t-pa55word\n');
    let event: AuditEvent | undefined;
    await until(async () => {
      event = (await auditEvents({ resource: 'pods/exec', namespace: 'staging' })).find((e) => e.stage === 'ResponseComplete' && e.requestURI.includes('command=printenv') && e.annotations?.['kgate.dev/recording-id']);
      return event !== undefined;
    }, 10_000, 'the printenv audit event');
    expect(leaks(JSON.stringify(event))).toEqual([]);
    const recording = await carol('GET', `/v1/recordings/${event!.annotations!['kgate.dev/recording-id']!}`);
    const cast = typeof recording.body === 'string' ? recording.body : JSON.stringify(recording.body);
    expect(cast).toContain(MASKED);
    expect(leaks(cast)).toEqual([]);
  });

  test('a pod that echoes its Secrets (env, envFrom, a mounted file, base64) shows them masked in logs, logs -f and exec', async () => {
    const name = `echo-secret-${mode}`;
    const script = 'while true; do echo "value: $DB_PASSWORD"; echo "user: $DB_username"; echo "encoded: $(printf %s "$DB_PASSWORD" | base64)"; echo "file: $(cat etc/db/password)"; sleep 1; done';
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'staging' },
      spec: {
        containers: [{
          name: 'echo', image: 'registry.example/echo:1', command: ['sh', '-c', script],
          env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }],
          envFrom: [{ prefix: 'DB_', secretRef: { name: 'db-credentials' } }],
          volumeMounts: [{ name: 'db', mountPath: '/etc/db', readOnly: true }],
        }],
        volumes: [{ name: 'db', secret: { secretName: 'db-credentials' } }],
      },
    };
    expect((await kc(['apply', '-f', '-'], { input: JSON.stringify(pod) })).code).toBe(0);
    await until(async () => (await admin(['logs', '-n', 'staging', name])).stdout.includes('file: staging-S3cr3t-pa55word'), 30_000, 'the echo pod\'s first lines');
    expect((await admin(['logs', '-n', 'staging', name])).stdout).toContain(`encoded: ${Buffer.from('staging-S3cr3t-pa55word').toString('base64')}`);

    const logs = await kc(['logs', '-n', 'staging', name]);
    expect(logs.code).toBe(0);
    for (const line of ['value', 'user', 'encoded', 'file']) expect(logs.stdout).toContain(`${line}: ${MASKED}\n`);
    expect(leaks(logs.stdout + logs.stderr)).toEqual([]);

    const follow = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'logs', '-f', '--tail=1', '-n', 'staging', name], { env: env(), timeoutMs: 60_000 });
    await follow.waitFor(/(value|user|encoded|file): \*\*\*MASKED:secret\*\*\*\n[\s\S]*(value|user|encoded|file): \*\*\*MASKED/, 30_000);
    follow.kill('SIGTERM');
    const followed = await follow.done;
    expect(leaks(followed.stdout + followed.stderr)).toEqual([]);

    const cat = await kc(['exec', '-n', 'staging', name, '--', 'sh', '-c', 'cat etc/db/password; echo; env | sort']);
    expect(cat.stdout).toContain(`${MASKED}\n`);
    expect(cat.stdout).toContain(`DB_password=${MASKED}\n`);
    expect(cat.stdout).toContain(`DB_username=${MASKED}\n`);
    expect(leaks(cat.stdout + cat.stderr)).toEqual([]);
    await admin(['delete', 'pod', '-n', 'staging', name, '--wait=false']);
  }, 120_000);

  test('a grant that may not read the pod\'s Secrets gets its logs refused, not unmasked', async () => {
    const r = await runKgate(['exec', '--grant', 'read-only', '--', kubectlPath, 'logs', '-n', 'staging', 'web'], { env: env(), timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden)');
    expect(r.stderr).toContain('may not read Secret "db-credentials"');
    expect(r.stdout).toBe('');
    // The same grant still reads what needs no Secret.
    const pods = await runKgate(['exec', '--grant', 'read-only', '--', kubectlPath, 'get', 'pods', '-n', 'staging', '-o', 'name'], { env: env(), timeoutMs: 60_000 });
    expect(pods.stdout).toContain('pod/web');
  });

  test('creating a pod in prod is held for approval and not created when denied', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'run', 'echo-prod', '-n', 'prod', '--image=registry.example/echo:1', '--restart=Never', '--', 'sleep', '60'], { env: env(), timeoutMs: 60_000 });
    const [, approval] = await run.waitFor(/kgate approve (\S+)/, 30_000);
    expect((await carol('POST', `/v1/approvals/${approval}/deny`, { reason: 'no new pods in prod today' })).status).toBe(200);
    const r = await run.done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no new pods in prod today');
    expect((await admin(['get', 'pod', 'echo-prod', '-n', 'prod'])).code).not.toBe(0);
  }, 90_000);

  test('an interactive exec with a terminal (-it) gets a tty, reads what is typed and passes the exit code', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'exec', '-it', '-n', 'staging', 'web', '--', 'sh', '-c', 'tty; read line; echo "typed=$line"; exit 4'], { env: env(), pty: true, timeoutMs: 60_000 });
    await run.waitFor(/\/dev\/pts\/\d+/, 30_000);
    run.write('hello-tty\n');
    const r = await run.done;
    expect(r.stdout).toContain('typed=hello-tty');
    expect(r.code).toBe(4);
  });

  test('logs -f streams new lines until the command is stopped', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'logs', '-f', '--tail=1', '-n', 'staging', 'web'], { env: env(), timeoutMs: 60_000 });
    const [, first] = await run.waitFor(/staging web: GET \/healthz 200 seq=(\d+)/, 30_000);
    await run.waitFor(new RegExp(`seq=${Number(first) + 1}\\b`), 15_000);
    run.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(1); // kubectl's own answer to SIGTERM
  });

  test('kgate passes a signal on to the command and returns its exit code', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'], { env: env(), timeoutMs: 60_000 });
    await run.waitFor(/ready/, 30_000);
    run.kill('SIGTERM');
    const r = await run.done;
    expect(r.stdout).toContain('got-term');
    expect(r.code).toBe(42);
  });

  test('a watch on secrets shows a secret created meanwhile, masked', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'get', 'secrets', '-n', 'staging', '-w', '-o', 'json'], { env: env(), timeoutMs: 60_000 });
    await run.waitFor(/"db-credentials"/, 30_000);
    expect((await admin(['create', 'secret', 'generic', 'watched', '-n', 'staging', '--from-literal=token=exec-test-pa55word'])).code).toBe(0);
    await run.waitFor(/"watched"/, 15_000);
    run.kill('SIGINT');
    const r = await run.done;
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  test('every §1.3 request target is refused with a Status, and nothing leaks', async () => {
    const r = await exec([process.execPath, '--import', 'tsx', join(HERE, 'fixtures', 'raw-requests.ts')]);
    expect(r.stderr).toBe('');
    const results = JSON.parse(r.stdout) as { name: string; status: number; kind: string; auditId: string; body: string }[];
    const byName = Object.fromEntries(results.map((x) => [x.name, x]));
    for (const name of ['encoded slash', 'encoded letters', 'encoded dot-dot', 'dot-dot', 'backslashes', 'double leading slash', 'empty namespace',
      'semicolon in query', 'semicolon in field selector', 'duplicate watch', 'absolute form', 'lowercase method', 'fragment', 'control character']) {
      expect([name, byName[name]?.status, byName[name]?.kind]).toEqual([name, 400, 'Status']);
    }
    for (const name of ['no session token']) expect([name, byName[name]?.status]).toEqual([name, 401]);
    // The broker serves this machine only (no DNS rebinding); the gateway serves other machines by design.
    expect(['foreign host', byName['foreign host']?.status]).toEqual(['foreign host', mode === 'broker' ? 421 : 200]);
    expect(['browser origin', byName['browser origin']?.status]).toEqual(['browser origin', 403]);
    // Served, but as the canonical request: the broker's own identity, masked, with its own Audit-Id.
    for (const name of ['trailing slash', 'impersonation', 'audit id']) expect([name, byName[name]?.status]).toEqual([name, 200]);
    expect(byName['audit id']?.auditId).not.toBe('forged-audit-id');
    const whoami = byName['impersonated whoami'];
    expect(whoami?.status).toBe(201);
    expect(whoami?.body).toMatch(/"username":"kgate:grant-[a-z0-9]+"/);
    expect(whoami?.body).not.toContain('system:admin');
    expect(leaks(r.stdout)).toEqual([]);
  });

  test('a held exec in prod proceeds once carol approves, and its recording is kept', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'exec', '-n', 'prod', 'web', '--', 'sh', '-c', `echo held-exec-ran; echo ${AWS_KEY}`], { env: env(), timeoutMs: 90_000 });
    const [, approval] = await run.waitFor(/kgate approve (\S+)/, 30_000);
    const approved = await carol('POST', `/v1/approvals/${approval}/approve`, { reason: 'looks fine' });
    expect(approved.status).toBe(200);
    const r = await run.done;
    expect(r.stderr).toContain(`approval ${approval} granted`);
    expect(r.stdout).toContain('held-exec-ran');
    expect(r.stdout).not.toContain(AWS_KEY);
    expect(r.code).toBe(0);

    let event: AuditEvent | undefined;
    await until(async () => {
      event = (await auditEvents({ resource: 'pods/exec', namespace: 'prod' })).find((e) => e.stage === 'ResponseComplete' && e.annotations?.['kgate.dev/approval'] === approval);
      return event !== undefined;
    }, 10_000, 'the exec audit event');
    expect(event!.annotations).toMatchObject({ 'kgate.dev/decision': 'allow', 'kgate.dev/policy-rule': 'prod-exec-needs-approval', 'kgate.dev/exec-exit-code': '0' });
    expect(event!.requestURI).toContain('command=echo%20held-exec-ran');
    expect(JSON.stringify(event)).not.toContain(AWS_KEY);
    const approvalView = await carol('GET', `/v1/approvals/${approval}`);
    expect(JSON.stringify(approvalView.body)).not.toContain(AWS_KEY);
    const recordingId = event!.annotations!['kgate.dev/recording-id']!;
    const recording = await carol('GET', `/v1/recordings/${recordingId}`);
    expect(recording.status).toBe(200);
    const cast = typeof recording.body === 'string' ? recording.body : JSON.stringify(recording.body);
    expect(cast).toContain('held-exec-ran');
    expect(cast).not.toContain(AWS_KEY);
  }, 120_000);

  test('a prod exec nobody approves is refused once the approval is denied', async () => {
    const run = startKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'exec', '-n', 'prod', 'web', '--', 'true'], { env: env(), timeoutMs: 60_000 });
    const [, approval] = await run.waitFor(/kgate approve (\S+)/, 30_000);
    expect((await carol('POST', `/v1/approvals/${approval}/deny`, { reason: 'not during the freeze' })).status).toBe(200);
    const r = await run.done;
    expect(r.code).not.toBe(0);
    // kubectl retries a refused WebSocket over SPDY; that retry gets the same refusal, not a second hold.
    expect(r.stderr).toContain('not during the freeze');
    expect(r.stderr.match(/is held for approval/g)).toHaveLength(1);
  }, 90_000);

  test('Ctrl-C while a grant waits for approval withdraws the request', async () => {
    const run = startKgate(['exec', '--grant', 'deploy', '--wait', '5m', '--', 'true'], { env: env(), timeoutMs: 60_000 });
    const [, approval] = await run.waitFor(/Approvers run: kgate approve (\S+)/, 30_000);
    run.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('the grant request was withdrawn');
    const view = await carol('GET', `/v1/approvals/${approval}`);
    const grant = await carol('GET', `/v1/grants/${(view.body as { grantId: string }).grantId}`);
    expect((grant.body as { state: string }).state).toBe('revoked');
  }, 60_000);

  test('a @kubernetes/client-node program under kgate exec: masked secrets and watch, exec held then denied, deletion refused', async () => {
    const flows = join(HERE, 'fixtures', 'client-node-flows.ts');
    const run = startKgate(['exec', '--grant', 'operate', '--', process.execPath, '--import', 'tsx', flows], { env: env({ WATCH_SECRET_VALUE: 'exec-test-pa55word' }), timeoutMs: 90_000 });
    const [, approval] = await run.waitFor(/kgate approve (\S+)/, 60_000);
    expect((await carol('POST', `/v1/approvals/${approval}/deny`, { reason: 'client-node test' })).status).toBe(200);
    const r = await run.done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { secret: { data: Record<string, string> }; watch: { events: { name: string }[] }; execStaging: { stdout: string }; execProd: { stdout: string; error?: { message: string } }; deleteNamespace: { code?: number; message: string } };
    expect(result.secret.data).toEqual({ username: 'KioqTUFTS0VEOnNlY3JldCoqKg==', password: 'KioqTUFTS0VEOnNlY3JldCoqKg==' });
    expect(result.watch.events.map((e) => e.name)).toContain('watched-by-client-node');
    expect(result.execStaging.stdout).toBe('hello-from-client-node\n');
    expect(result.execProd.stdout).toBe('');
    expect(result.deleteNamespace.code).toBe(403);
    expect(result.deleteNamespace.message).toContain('no-namespace-deletion');
    expect(leaks(r.stdout)).toEqual([]);
  }, 120_000);

  test('the MCP server answers through kgate exec with secrets masked and namespace deletion refused', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kgate-mcp-'));
    const binary = join(dirname(createRequire(import.meta.url).resolve(`${MCP_PACKAGE}/package.json`)), 'bin', MCP_PACKAGE);
    const kgate = join(HERE, '../../../bin/run.js');
    const mcp = await McpClient.start({
      command: process.execPath,
      args: [kgate, 'exec', '--grant', 'operate', '--', binary, '--log-file', join(home, 'mcp.log'), '--cluster-provider', 'kubeconfig', '--disable-multi-cluster', '--list-output', 'yaml'],
      env: env() as NodeJS.ProcessEnv,
    });
    try {
      const secrets = await mcp.callTool('resources_list', { apiVersion: 'v1', kind: 'Secret', namespace: 'prod' });
      expect(secrets.isError).toBe(false);
      expect(secrets.text).toContain('db-credentials');
      expect(leaks(secrets.text)).toEqual([]);
      const deletion = await mcp.callTool('resources_delete', { apiVersion: 'v1', kind: 'Namespace', name: 'staging' });
      expect(deletion.isError).toBe(true);
      expect(deletion.text).toContain('no-namespace-deletion');
    } finally {
      await mcp.close();
      await rm(home, { recursive: true, force: true });
    }
    expect((await admin(['get', 'namespace', 'staging'])).code).toBe(0);
  }, 90_000);

  test('the audit trail reached the service once per event, in unbroken chains, and grants were released', async () => {
    const events = brokerEvents(await auditEvents());
    expect(events.length).toBeGreaterThan(30);
    const keys = events.map((e) => `${e.auditID}/${e.stage}`);
    expect(new Set(keys).size).toBe(keys.length);
    const verification = verifyChain(events);
    expect(verification.problems).toEqual([]);
    expect(verification.sessions.length).toBeGreaterThanOrEqual(10);
    // Every run is over, so every chain ends with its end marker: a lost tail would show.
    expect(verification.sessions.filter((s) => !s.ended)).toEqual([]);
    // Asked of the store: carol governs only `deploy`, so the API would not show her `operate` grants.
    expect(await server.store.activeGrants()).toEqual([]);
  });

  // A local broker spools while the service is away; the gateway is the service, so there is nothing to spool.
  (mode === 'broker' ? test : test.skip)('audit events reach the service exactly once when it is down during the run and returns later', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kgate-down-'));
    const own = await startSimPolicyServer(world, { dataDir });
    const marker = join(sandbox, 'down-marker');
    const go = join(sandbox, 'down-go');
    const script = `${kubectlPath} get pods -n staging >/dev/null && touch ${marker} && while [ ! -f ${go} ]; do sleep 0.1; done; ${kubectlPath} get secrets -n staging -o name; ${kubectlPath} get configmaps -n staging -o name`;
    const run = startKgate(['exec', '--grant', 'operate', '--', 'sh', '-c', script], { env: env({ KGATE_SERVER: own.url }), timeoutMs: 120_000 });
    try {
      await until(async () => (await import('node:fs')).existsSync(marker), 30_000, 'the first kubectl');
      const port = new URL(own.url).port;
      await own.close();
      await (await import('node:fs/promises')).writeFile(go, '');
      await run.waitFor(/configmap\/app-config/, 30_000);
      // The wrapped command is done; kgate now retries shipping while the service is away.
      await new Promise((r) => setTimeout(r, 1500));
      const back = await startSimPolicyServer(world, { dataDir, port: Number(port) });
      try {
        const r = await run.done;
        expect(r.code).toBe(0);
        const stored = await back.store.queryAuditEvents({ limit: 1000 });
        const events = stored.items.map((i) => i.event as AuditEvent).filter((e) => e.annotations?.['kgate.dev/session']);
        const requests = events.filter((e) => e.stage === 'ResponseComplete');
        expect(requests.some((e) => e.objectRef?.resource === 'secrets')).toBe(true);
        expect(requests.some((e) => e.objectRef?.resource === 'configmaps')).toBe(true);
        const keys = events.map((e) => `${e.auditID}/${e.stage}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(verifyChain(events).problems).toEqual([]);
      } finally {
        await back.close();
      }
    } finally {
      run.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
}
