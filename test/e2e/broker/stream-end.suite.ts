/**
 * Streams end with their grant, in both access modes: under one `kgate exec`, the real kubectl
 * runs an exec, a `get -w` and a `logs -f` at once (each with its own output files); when the grant
 * expires, or when its owner runs `kgate grants revoke`, all three end within seconds, each with
 * kgate's reason in its own protocol (the exec's error channel, a watch ERROR event, a last log
 * line), and the audit trail says why each ended. Also: `--ttl` never reuses a grant that outlives
 * it. Run by stream-end.gateway.test.ts and stream-end.broker.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../../../src/audit/event.js';
import type { GrantView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectlBinary } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';
import { runKgate, simCliEnv, startKgate, type RunningKgate } from '../identity/kgate-cli.js';
import { apiAs, machineToken, personToken, until } from '../policy/support.js';

/** How long after its grant ended a stream may still run before the test calls it a failure. */
const ENDS_WITHIN_MS = 12_000;
const STREAMS = ['exec', 'watch', 'logs'] as const;
type Stream = (typeof STREAMS)[number];

/** The whole suite, against the gateway or a local broker. */
export function streamEndSuite(mode: 'gateway' | 'broker'): void {
describe(`streams end with their grant through the ${mode}`, () => {
  let world: SimWorld;
  let server: SimPolicyServer;
  let kubectlPath: string;
  let home: string;
  let ci: ReturnType<typeof apiAs>;
  let carol: ReturnType<typeof apiAs>;

  const cluster = () => (mode === 'broker' ? server.env.KGATE_BROKER_CLUSTER! : server.env.KGATE_CLUSTER!);
  const env = () => simCliEnv(home, { ...world.env, ...server.env, KGATE_CLUSTER: cluster() });

  beforeAll(async () => {
    world = await startSimWorld();
    server = await startSimPolicyServer(world);
    kubectlPath = (await kubectlBinary()).path;
    home = scratchDir('kgate-stream-end-');
    ci = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
    carol = apiAs(world, server.url, await personToken(world, 'carol'));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await world?.close();
  });

  async function activeGrants(): Promise<GrantView[]> {
    const r = await ci<{ items: GrantView[] }>('GET', `/v1/grants?mine=true&state=active&cluster=${cluster()}`);
    expect(r.status).toBe(200);
    return r.body.items;
  }

  async function releaseAll(): Promise<void> {
    for (const g of await activeGrants()) await ci('POST', `/v1/grants/${g.id}/revoke`, { reason: 'test cleanup' });
  }

  async function auditEvents(query: Record<string, string>): Promise<AuditEvent[]> {
    const page = await carol('GET', `/v1/audit/events?${new URLSearchParams({ ...query, limit: '1000' })}`);
    expect(page.status).toBe(200);
    return (page.body as { items: AuditEvent[] }).items;
  }

  /** The three streams under one `kgate exec`, each kubectl's stdout, stderr and exit code in files of `dir`. */
  function startStreams(dir: string, flags: string[]): RunningKgate {
    const k = kubectlPath;
    const commands: Record<Stream, string> = {
      exec: `${k} exec -n staging web -- sh -c 'while true; do echo tick; sleep 0.2; done'`,
      watch: `${k} get pods -n staging -w`,
      logs: `${k} logs -f --tail=1 -n staging web`,
    };
    const script = STREAMS.map((s) => `(${commands[s]} >${dir}/${s}.out 2>${dir}/${s}.err; echo $? >${dir}/${s}.code) &`).join('\n') + '\nwait\n';
    return startKgate(['exec', '--grant', 'operate', ...flags, '--', 'sh', '-c', script], { env: env(), timeoutMs: 120_000 });
  }

  const read = (dir: string, file: string) => readFile(join(dir, file), 'utf8').catch(() => '');

  async function waitForStreams(dir: string, run: RunningKgate): Promise<void> {
    const ready: Record<Stream, RegExp> = { exec: /tick/, watch: /\bweb\b/, logs: /seq=\d+/ };
    let finished = false;
    void run.done.then(() => (finished = true));
    await until(async () => {
      if (finished) throw new Error(`kgate exec ended before the streams ran: ${JSON.stringify(await run.done)}`);
      for (const s of STREAMS) if (!ready[s].test(await read(dir, `${s}.out`))) return false;
      return true;
    }, 45_000, 'all three streams to run');
  }

  /** Waits for the run to end; fails when it is still running ENDS_WITHIN_MS after `endedAt`. */
  async function endsWithin(run: RunningKgate, endedAt: number): Promise<void> {
    const limit = Math.max(0, endedAt - Date.now()) + ENDS_WITHIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([run.done, new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), limit)))]);
    clearTimeout(timer);
    expect(outcome).not.toBe('still running');
  }

  /** Each stream printed kgate's reason in its own protocol, and exited. */
  async function expectFarewells(dir: string, message: string): Promise<void> {
    for (const s of STREAMS) expect([s, existsSync(join(dir, `${s}.code`))]).toEqual([s, true]);
    // exec: client-go returns the Status from the error channel; kubectl prints it and exits 1.
    expect(await read(dir, 'exec.err')).toContain(`error: ${message}`);
    expect((await read(dir, 'exec.code')).trim()).toBe('1');
    // watch: the final ERROR event's Status, as kubectl prints a Status.
    expect((await read(dir, 'watch.out')) + (await read(dir, 'watch.err'))).toContain(message);
    // logs -f: a last line of its own, after the log lines.
    const logs = await read(dir, 'logs.out');
    expect(logs).toMatch(/seq=\d+/);
    expect(logs.endsWith(`\n${message}\n`)).toBe(true);
  }

  /** The audit trail holds each stream's end, with why. */
  async function expectAudited(grant: string, why: string): Promise<void> {
    await until(async () => {
      for (const resource of ['pods/exec', 'pods', 'pods/log']) {
        const events = await auditEvents({ grant, resource });
        if (!events.some((e) => e.stage === 'ResponseComplete' && e.responseStatus?.message === `ended by kgate: ${why}`)) return false;
      }
      return true;
    }, 20_000, `audit events saying "ended by kgate: ${why}" for the exec, the watch and the logs`);
  }

  test('an exec, a watch and logs -f on a short grant end when it expires, each saying why', async () => {
    const dir = scratchDir('kgate-streams-');
    const run = startStreams(dir, ['--ttl', '12s']);
    try {
      await waitForStreams(dir, run);
      const [grant] = await activeGrants();
      expect(grant?.ttlMs).toBe(12_000);
      await endsWithin(run, grant!.expiresAt!);
      const why = `grant ${grant!.id} expired`;
      await expectFarewells(dir, `kgate: ${why}; stream closed`);
      await expectAudited(grant!.id, why);
    } finally {
      run.kill('SIGKILL');
      await run.done;
      await releaseAll();
    }
  }, 150_000);

  test('an exec, a watch and logs -f end within seconds of kgate grants revoke, each saying why', async () => {
    const dir = scratchDir('kgate-streams-');
    const run = startStreams(dir, []);
    try {
      await waitForStreams(dir, run);
      const [grant] = await activeGrants();
      const revoked = await runKgate(['grants', 'revoke', grant!.id, '--reason', 'stream test'], { env: env(), timeoutMs: 30_000 });
      expect(revoked.code).toBe(0);
      await endsWithin(run, Date.now());
      const why = `grant ${grant!.id} was revoked (Revoked by ci-deployer: stream test)`;
      await expectFarewells(dir, `kgate: ${why}; stream closed`);
      await expectAudited(grant!.id, why);
    } finally {
      run.kill('SIGKILL');
      await run.done;
      await releaseAll();
    }
  }, 150_000);

  test('--ttl reuses only an active grant that ends within it, and says which grant the run is on', async () => {
    const held = (await ci<GrantView>('POST', '/v1/grants', { cluster: cluster(), grant: 'operate', ttl: '1h' })).body;
    expect(held.state).toBe('active');
    try {
      const short = await runKgate(['exec', '--grant', 'operate', '--ttl', '30s', '--', 'true'], { env: env(), timeoutMs: 60_000 });
      expect(short.code).toBe(0);
      expect(short.stderr).toContain(`kgate: not reusing grant ${held.id}: it runs`);
      expect(short.stderr).toContain('longer than --ttl 30s; requesting a new grant');
      const mine = (await ci<{ items: GrantView[] }>('GET', `/v1/grants?mine=true&cluster=${cluster()}`)).body.items;
      const own = mine.filter((g) => g.id !== held.id && g.ttlMs === 30_000);
      expect(own.map((g) => [g.state, g.message])).toEqual([['revoked', 'Revoked by ci-deployer: kgate exec finished']]);

      const long = await runKgate(['exec', '--grant', 'operate', '--ttl', '2h', '--', 'true'], { env: env(), timeoutMs: 60_000 });
      expect(long.code).toBe(0);
      expect(long.stderr).toMatch(new RegExp(`kgate: using your active grant ${held.id} \\(operate on ${cluster()}, \\d+m \\d+s left, within --ttl 2h\\)`));
      expect((await activeGrants()).map((g) => g.id)).toEqual([held.id]);
    } finally {
      await releaseAll();
    }
  }, 120_000);
});
}
