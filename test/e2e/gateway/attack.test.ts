/**
 * Attack tests for gateway mode: what a hostile caller (a CI job's wrapped command, an agent) can
 * do with everything its machine holds. It searches files, environment and process memory for
 * tokens and finds nothing the API server accepts (while the same search under a local broker
 * finds the grant's EKS token, the documented trade-off of broker mode); gateway credentials are
 * refused once their run, grant or credential ends, on another cluster and when forged; audit
 * events and recordings of gateway sessions cannot be forged; streams end with their grant; and
 * the credentials endpoint refuses gateway grants.
 *
 * Against the real sim world, policy service and built CLI (`npm run build` first).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainHash, verifyChain } from '../../../src/audit/chain.js';
import type { AuditEvent } from '../../../src/audit/event.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectlBinary } from '../../support/kubectl.js';
import { runKgate, simCliEnv, startKgate } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, simFetch, until } from '../policy/support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** What every grant template may read (`read-only` cannot read Secrets). */
const CONFIG_PATH = '/api/v1/namespaces/prod/configmaps/app-config';

interface HuntReport {
  roots: string[];
  files: number;
  processes: { pid: number; cmdline: string; bytes: number; error?: string }[];
  parent: { pid: number; bytes: number; error?: string };
  candidates: { kind: 'jwt' | 'eks' | 'gateway' | 'opaque'; digest: string; where: string[]; apiServer: number; gateway?: number }[];
  policy: {
    digest: string;
    grantsStatus: number;
    credentials: { grant: string; cluster: string; status: number; code?: string; message?: string; eksToken: boolean; apiServer?: number }[];
    gatewayCredentials: { grant: string; status: number; apiServer?: number }[];
  }[];
}

interface GrantView { id: string; cluster: string; state: string; principal: { id: string } }
interface Status { kind: string; apiVersion: string; status: string; code: number; reason: string; message: string }

describe('gateway mode under attack', () => {
  let world: SimWorld;
  let server: SimPolicyServer;
  let kubectlPath: string;
  let carol: ReturnType<typeof apiAs>;
  let ci: ReturnType<typeof apiAs>;
  let gatewayFetch: ReturnType<typeof simFetch>;
  const homes: string[] = [];

  /** A fresh caller's machine: its own home, TMPDIR, kgate config and state. */
  async function callerHome(): Promise<string> {
    const home = await mkdtemp(join(tmpdir(), 'kgate-attack-'));
    homes.push(home);
    await mkdir(join(home, 'tmp'));
    return home;
  }

  /**
   * What a CI machine has: where the policy service and the API server are, its machine login,
   * and nothing of the sim's own (no admin kubeconfig, no AWS keys), with a private TMPDIR.
   */
  function callerEnv(home: string, cluster: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
    const w = world.env;
    return simCliEnv(home, {
      KGATE_SERVER: server.url, KGATE_CLUSTER: cluster,
      KGATE_ISSUER: w.KGATE_ISSUER, KGATE_CLIENT_ID: w.KGATE_CLIENT_ID, KGATE_CLIENT_SECRET: w.KGATE_CLIENT_SECRET,
      KGATE_AUDIENCE: w.KGATE_AUDIENCE, KGATE_CA_FILE: w.KGATE_CA_FILE,
      SIM_API_SERVER: w.SIM_API_SERVER, SIM_CA_FILE: w.SIM_CA_FILE,
    }, { TMPDIR: join(home, 'tmp'), ...extra });
  }

  const gatewayUrl = (cluster: string, path = CONFIG_PATH) => `${server.url}/gateway/clusters/${cluster}${path}`;

  async function atGateway(token: string, cluster = world.clusterName, path = CONFIG_PATH): Promise<{ status: number; body: Status }> {
    const response = await gatewayFetch.fetch(gatewayUrl(cluster, path), { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Status };
  }

  async function requestGrant(as: ReturnType<typeof apiAs>, cluster: string, template: string): Promise<GrantView> {
    const r = await as<GrantView>('POST', '/v1/grants', { cluster, grant: template, reason: 'attack test' });
    expect([r.status, r.body.state]).toEqual([201, 'active']);
    return r.body;
  }

  async function releaseActiveGrants(as: ReturnType<typeof apiAs>): Promise<void> {
    const active = await as<{ items: GrantView[] }>('GET', '/v1/grants?mine=true&state=active');
    for (const g of active.body.items ?? []) await as('POST', `/v1/grants/${g.id}/revoke`, { reason: 'attack test cleanup' });
  }

  async function auditEvents(query: Record<string, string>): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await carol<{ items: AuditEvent[]; next?: string }>('GET', `/v1/audit/events?${new URLSearchParams({ ...query, limit: '1000', ...(cursor ? { cursor } : {}) })}`);
      expect(page.status).toBe(200);
      events.push(...page.body.items);
      cursor = page.body.next;
    } while (cursor);
    return events;
  }

  beforeAll(async () => {
    world = await startSimWorld();
    server = await startSimPolicyServer(world);
    kubectlPath = (await kubectlBinary()).path;
    carol = apiAs(world, server.url, await personToken(world, 'carol'));
    ci = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
    gatewayFetch = simFetch(world);
  }, 60_000);

  afterAll(async () => {
    await gatewayFetch?.close();
    await server?.close();
    await world?.close();
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  /** Runs the token hunt under `kgate exec --grant operate` on `cluster`. */
  async function hunt(cluster: string): Promise<{ report: HuntReport; home: string }> {
    const home = await callerHome();
    const r = await runKgate(['exec', '--grant', 'operate', '--', process.execPath, '--import', 'tsx', join(HERE, 'fixtures', 'token-hunt.ts')], { env: callerEnv(home, cluster), timeoutMs: 240_000 });
    expect([r.code, r.stderr]).toEqual([0, '']);
    return { report: JSON.parse(r.stdout) as HuntReport, home };
  }

  const foundIn = (report: HuntReport, kind: string, place: (where: string) => boolean) => report.candidates.filter((c) => c.kind === kind && c.where.some(place));

  test('a hostile wrapped command finds nothing the API server accepts on a gateway cluster', async () => {
    const { report, home } = await hunt(world.clusterName);
    const state = join(home, 'state');
    const tmp = join(home, 'tmp');
    expect(report.roots).toEqual(expect.arrayContaining([home, tmp, state, join(home, 'config')]));

    // The search is real: it found the cached identity token and the run's gateway credential,
    // and that credential worked at the gateway while the run lasted.
    expect(foundIn(report, 'jwt', (w) => w.startsWith(`file:${state}/`)).length).toBeGreaterThan(0);
    const runCredential = foundIn(report, 'gateway', (w) => w.startsWith(`file:${tmp}/`));
    expect(runCredential.map((c) => c.gateway)).toEqual([200]);
    // Reading another process's memory needs ptrace permission (root here). Were it blocked, the
    // parent's scan would say EACCES/EPERM and only files and environment would have been searched.
    expect(report.parent.error).toBeUndefined();
    expect(report.parent.bytes).toBeGreaterThan(1024 * 1024);
    expect(report.processes.find((p) => p.pid === report.parent.pid)?.cmdline).toMatch(/run\.js exec/);
    expect(foundIn(report, 'jwt', (w) => w === `mem:${report.parent.pid}`).length).toBeGreaterThan(0);
    expect(runCredential[0]!.where).toContain(`mem:${report.parent.pid}`);

    // Nothing found is accepted by the API server: every one is refused as unauthenticated.
    expect(report.candidates.length).toBeGreaterThan(2);
    expect(report.candidates.filter((c) => c.apiServer !== 401).map((c) => [c.kind, c.where, c.apiServer])).toEqual([]);
    expect(report.candidates.filter((c) => c.kind === 'eks')).toEqual([]);

    // Every identity token, used against the policy service, gets no cluster credential; the gateway
    // credentials it can mint are refused by the API server.
    const attempts = report.policy.flatMap((p) => p.credentials);
    expect(report.policy.some((p) => p.grantsStatus === 200)).toBe(true);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.filter((a) => a.eksToken || a.apiServer !== undefined)).toEqual([]);
    const onGateway = attempts.filter((a) => a.cluster === world.clusterName);
    expect(onGateway.length).toBeGreaterThan(0);
    for (const a of onGateway) expect([a.status, a.code]).toEqual([403, 'gateway_mode']);
    const minted = report.policy.flatMap((p) => p.gatewayCredentials).filter((g) => g.status === 201);
    expect(minted.length).toBeGreaterThan(0);
    expect(minted.map((g) => g.apiServer)).toEqual(minted.map(() => 401));
  }, 300_000);

  test('control: the same search under a local broker finds a grant token the API server accepts', async () => {
    const { report } = await hunt(server.env.KGATE_BROKER_CLUSTER);
    expect(report.parent.error).toBeUndefined();
    // The broker holds the grant's EKS token in memory, and the identity token gets it from the service.
    const inMemory = foundIn(report, 'eks', (w) => w === `mem:${report.parent.pid}`);
    expect(inMemory.some((c) => c.apiServer === 200)).toBe(true);
    const attempts = report.policy.flatMap((p) => p.credentials).filter((a) => a.cluster === server.env.KGATE_BROKER_CLUSTER && a.status === 200);
    expect(attempts.some((a) => a.eksToken && a.apiServer === 200)).toBe(true);
  }, 300_000);

  test('gateway credentials are refused after their run, their grant or their revocation, elsewhere, and when forged', async () => {
    const home = await callerHome();
    // A grant the caller holds before the run, so the run reuses it and leaves it active.
    const a = await requestGrant(ci, world.clusterName, 'operate');
    try {
      const show = `const k = JSON.parse(require('fs').readFileSync(process.env.KUBECONFIG, 'utf8'));
        process.stderr.write(require('child_process').execFileSync(process.argv[1], ['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'name']));
        process.stdout.write(k.users[0].user.token);`;
      const run = await runKgate(['exec', '--grant', 'operate', '--', process.execPath, '-e', show, kubectlPath], { env: callerEnv(home, world.clusterName), timeoutMs: 60_000 });
      expect([run.code, run.stderr]).toEqual([0, 'Warning: kgate masked 2 secret values in this response\nsecret/db-credentials\n']);
      const runToken = run.stdout;
      expect(runToken).toMatch(/^kgate-gw\.[A-Za-z0-9_-]{43}$/);
      expect((await ci<GrantView>('GET', `/v1/grants/${a.id}`)).body.state).toBe('active');

      const refused = async (token: string, cluster?: string) => {
        const r = await atGateway(token, cluster);
        expect([r.status, r.body.kind, r.body.apiVersion, r.body.status, r.body.code, r.body.reason]).toEqual([401, 'Status', 'v1', 'Failure', 401, 'Unauthorized']);
        return r.body.message;
      };
      // After the run: its credential was revoked when it ended, though the grant lives on.
      expect(await refused(runToken)).toMatch(/revoked/);

      const mint = async (grant: GrantView) => {
        const r = await ci<{ id: string; token: string }>('POST', `/v1/grants/${grant.id}/gateway-credentials`, { purpose: 'context' });
        expect(r.status).toBe(201);
        expect((await atGateway(r.body.token)).status).toBe(200);
        return r.body;
      };
      const onA = await mint(a);
      const b = await requestGrant(ci, world.clusterName, 'read-only');
      const onB = await mint(b);

      // Another cluster's path, or one that does not exist: the credential is bound to its cluster.
      expect(await refused(onB.token, server.env.KGATE_BROKER_CLUSTER)).toContain(`not ${server.env.KGATE_BROKER_CLUSTER}`);
      expect(await refused(onB.token, 'made-up-cluster')).toContain('not made-up-cluster');

      // Grant A revoked with the CLI: its credential is refused while grant B of the same caller still works.
      const revoked = await runKgate(['grants', 'revoke', a.id, '--reason', 'attack test'], { env: callerEnv(home, world.clusterName), timeoutMs: 30_000 });
      expect(revoked.code).toBe(0);
      expect(await refused(onA.token)).toMatch(/revoked/);
      expect((await atGateway(onB.token)).status).toBe(200);

      // A credential revoked on its own.
      const onB2 = await mint(b);
      expect((await ci('POST', `/v1/gateway-credentials/${(onB2 as { id: string }).id}/revoke`, {})).status).toBe(200);
      expect(await refused(onB2.token)).toMatch(/revoked/);

      // Grant B revoked through the API.
      expect((await ci('POST', `/v1/grants/${b.id}/revoke`, { reason: 'attack test' })).status).toBe(200);
      expect(await refused(onB.token)).toMatch(/revoked/);

      // Forged: the right shape, or an identity token, or nothing the gateway ever issued.
      expect(await refused(`kgate-gw.${randomBytes(32).toString('base64url')}`)).toContain('unknown gateway credential');
      expect(await refused(await machineToken(world, 'ci-deployer'))).toContain('not a kgate gateway credential');
      const none = await gatewayFetch.fetch(gatewayUrl(world.clusterName));
      expect([none.status, ((await none.json()) as Status).kind]).toEqual([401, 'Status']);
    } finally {
      await releaseActiveGrants(ci);
    }
  }, 120_000);

  test('audit events and recordings for gateway sessions cannot be forged, and the gateway\'s own chain stays intact', async () => {
    const mcp = apiAs(world, server.url, await machineToken(world, 'mcp-agent'));
    const gateway = await requestGrant(ci, world.clusterName, 'operate');
    const broker = await requestGrant(ci, server.env.KGATE_BROKER_CLUSTER, 'operate');
    const foreign = await requestGrant(mcp, server.env.KGATE_BROKER_CLUSTER, 'operate');
    try {
      const me = gateway.principal.id;
      const event = (fields: { auditID?: string; grant: string; cluster: string; principal?: string; annotations?: Record<string, string> }) => ({
        apiVersion: 'audit.k8s.io/v1', kind: 'Event', level: 'Metadata', auditID: fields.auditID ?? randomUUID(), stage: 'ResponseComplete',
        requestURI: '/api/v1/namespaces/prod/secrets', verb: 'list', user: { username: 'ci-deployer' },
        objectRef: { resource: 'secrets', namespace: 'prod', apiVersion: 'v1' },
        responseStatus: { code: 200 }, requestReceivedTimestamp: new Date().toISOString(), stageTimestamp: new Date().toISOString(),
        annotations: { 'kgate.dev/principal': fields.principal ?? me, 'kgate.dev/grant': fields.grant, 'kgate.dev/cluster': fields.cluster, 'kgate.dev/decision': 'allow', ...fields.annotations },
      });
      const ingest = (...events: unknown[]) => ci<{ accepted?: number; error?: { code: string; message: string } }>('POST', '/v1/audit/events', { events });
      const putRecording = (id: string, grant: string) => ci<{ error?: { code: string } }>('PUT', `/v1/recordings/${id}?grant=${grant}`, '{"version":2}\n', { 'content-type': 'application/x-asciicast' });

      // The control: a broker-mode client may ship its own trail, so the refusals below are the rules at work.
      expect((await ingest(event({ grant: broker.id, cluster: broker.cluster }))).body.accepted).toBe(1);
      const execId = randomUUID();
      const execEvent = { ...event({ auditID: execId, grant: broker.id, cluster: broker.cluster }), verb: 'create', requestURI: '/api/v1/namespaces/prod/pods/web/exec', objectRef: { resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'web', apiVersion: 'v1' } };
      expect((await ingest(execEvent)).body.accepted).toBe(1);
      expect((await putRecording(execId, broker.id)).status).toBe(201);

      const forged = await ingest(event({ grant: gateway.id, cluster: gateway.cluster }));
      expect([forged.status, forged.body.error?.code]).toEqual([403, 'gateway_mode']);
      expect((await ingest(event({ grant: broker.id, cluster: gateway.cluster }))).status).toBe(403);
      expect((await ingest(event({ auditID: `gw.${randomUUID()}`, grant: broker.id, cluster: broker.cluster }))).status).toBe(403);
      expect((await ingest(event({ grant: foreign.id, cluster: foreign.cluster }))).status).toBe(403);
      expect((await ingest(event({ grant: foreign.id, cluster: foreign.cluster, principal: foreign.principal.id }))).status).toBe(403);
      expect((await putRecording(`gw.${randomUUID()}`, broker.id)).status).toBe(403);
      const gatewayRecording = await putRecording(randomUUID(), gateway.id);
      expect([gatewayRecording.status, gatewayRecording.body.error?.code]).toEqual([403, 'gateway_mode']);
      expect((await putRecording(randomUUID(), foreign.id)).status).toBe(403);

      // An exec through the gateway: its event, recording and chain are the gateway's.
      const home = await callerHome();
      const run = await runKgate(['exec', '--grant', 'operate', '--', kubectlPath, 'exec', '-n', 'staging', 'web', '--', 'sh', '-c', 'echo recorded-by-the-gateway'], { env: callerEnv(home, world.clusterName), timeoutMs: 60_000 });
      expect([run.code, run.stdout]).toEqual([0, 'recorded-by-the-gateway\n']);
      let exec: AuditEvent | undefined;
      await until(async () => {
        exec = (await auditEvents({ grant: gateway.id, resource: 'pods/exec' })).find((e) => e.stage === 'ResponseComplete');
        return exec !== undefined;
      }, 10_000, 'the gateway\'s exec event');
      const session = exec!.annotations!['kgate.dev/session']!;
      const recordingId = exec!.annotations!['kgate.dev/recording-id']!;
      expect(recordingId.startsWith('gw.')).toBe(true);

      // The caller knows the exec's auditID, session and recording id; none of it lets it write.
      expect((await ingest(event({ auditID: exec!.auditID, grant: gateway.id, cluster: gateway.cluster }))).status).toBe(403);
      expect((await ingest(event({ auditID: `gw.${exec!.auditID}`, grant: broker.id, cluster: broker.cluster }))).status).toBe(403);
      expect((await putRecording(recordingId, broker.id)).status).toBe(403);
      expect((await putRecording(recordingId, gateway.id)).status).toBe(403);

      // Nor may it extend the gateway session's chain past its end marker with events of its own
      // broker grant and a new end marker: the chain would verify, and the forged events would pass
      // for the gateway's.
      const before = await auditEvents({ session });
      const last = before.reduce((a, e) => (Number(e.annotations!['kgate.dev/chain-seq']) > Number(a.annotations!['kgate.dev/chain-seq']) ? e : a));
      const seal = (unsealed: ReturnType<typeof event>, prev: AuditEvent) => {
        const seq = String(Number(prev.annotations!['kgate.dev/chain-seq']) + 1);
        const annotations: Record<string, string> = { ...unsealed.annotations, 'kgate.dev/session': session, 'kgate.dev/chain-seq': seq, 'kgate.dev/chain-prev': prev.annotations!['kgate.dev/chain-hash']! };
        const withChain = { ...unsealed, annotations } as unknown as AuditEvent;
        return { ...withChain, annotations: { ...annotations, 'kgate.dev/chain-hash': chainHash(prev.annotations!['kgate.dev/chain-hash']!, withChain) } } as AuditEvent;
      };
      const extra = seal(event({ grant: broker.id, cluster: broker.cluster }), last);
      const end = seal(event({ auditID: `${session}.end`, grant: broker.id, cluster: broker.cluster, annotations: { 'kgate.dev/chain-end': 'true' } }), extra);
      expect(verifyChain([...before, extra, end]).problems).toEqual([]);
      const extension = await ingest(extra, end);
      expect(extension.status).toBe(403);

      const events = await auditEvents({ session });
      expect(events.every((e) => e.annotations!['kgate.dev/grant'] === gateway.id && e.annotations!['kgate.dev/cluster'] === gateway.cluster)).toBe(true);
      const verification = verifyChain(events);
      expect(verification.problems).toEqual([]);
      expect(verification.sessions).toEqual([expect.objectContaining({ session, ended: true })]);
      const recording = await carol('GET', `/v1/recordings/${recordingId}`);
      expect(recording.status).toBe(200);
      expect(typeof recording.body === 'string' ? recording.body : JSON.stringify(recording.body)).toContain('recorded-by-the-gateway');
    } finally {
      await releaseActiveGrants(ci);
      await releaseActiveGrants(mcp);
    }
  }, 120_000);

  test.each([
    ['an exec', (kubectl: string) => [kubectl, 'exec', '-n', 'staging', 'web', '--', 'sh', '-c', 'while true; do echo tick; sleep 0.2; done'], /tick/, 'pods/exec'],
    ['a watch', (kubectl: string) => [kubectl, 'get', 'pods', '-n', 'staging', '-w'], /web/, 'pods'],
  ])('%s still open when its grant is revoked is ended by the gateway, and its audit event says why', async (_name, command, ready, resource) => {
    const home = await callerHome();
    const run = startKgate(['exec', '--grant', 'operate', '--', ...command(kubectlPath)], { env: callerEnv(home, world.clusterName), timeoutMs: 90_000 });
    try {
      await run.waitFor(ready, 30_000);
      const active = await ci<{ items: GrantView[] }>('GET', `/v1/grants?mine=true&state=active&cluster=${world.clusterName}`);
      expect(active.body.items).toHaveLength(1);
      const grant = active.body.items[0]!;
      // Only the owner may revoke an operate grant (it has no approvers or break-glass group, so carol may not).
      const revokedAt = Date.now();
      expect((await ci('POST', `/v1/grants/${grant.id}/revoke`, { reason: 'stream test' })).status).toBe(200);
      const ended = await Promise.race([run.done, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
      expect(ended).not.toBe('still running');
      expect(Date.now() - revokedAt).toBeLessThan(15_000);

      let event: AuditEvent | undefined;
      await until(async () => {
        event = (await auditEvents({ grant: grant.id, resource })).find((e) => e.stage === 'ResponseComplete' && e.verb !== 'list');
        return event !== undefined;
      }, 10_000, `the ${resource} event`);
      expect(event!.responseStatus?.message).toBe(`ended by kgate: grant ${grant.id} was revoked (Revoked by ci-deployer: stream test)`);
      const session = event!.annotations!['kgate.dev/session']!;
      const chain = verifyChain(await auditEvents({ session }));
      expect(chain.problems).toEqual([]);
      expect(chain.sessions).toEqual([expect.objectContaining({ session, ended: true })]);
    } finally {
      run.kill('SIGKILL');
      await run.done;
      await releaseActiveGrants(ci);
    }
  }, 120_000);

  test('the credentials endpoint refuses a gateway grant to its own owner, naming the mode', async () => {
    const gateway = await requestGrant(ci, world.clusterName, 'operate');
    const broker = await requestGrant(ci, server.env.KGATE_BROKER_CLUSTER, 'operate');
    try {
      const refused = await ci<{ error: { code: string; message: string } }>('POST', `/v1/grants/${gateway.id}/credentials`, {});
      expect([refused.status, refused.body.error.code]).toEqual([403, 'gateway_mode']);
      expect(refused.body.error.message).toContain('access: gateway');
      expect(JSON.stringify(refused.body)).not.toContain('k8s-aws-v1.');
      // The same owner's broker-mode grant does get one: the refusal is the mode's, not the caller's.
      const given = await ci<{ token: string }>('POST', `/v1/grants/${broker.id}/credentials`, {});
      expect([given.status, given.body.token.startsWith('k8s-aws-v1.')]).toEqual([200, true]);
    } finally {
      await releaseActiveGrants(ci);
    }
  });
});
