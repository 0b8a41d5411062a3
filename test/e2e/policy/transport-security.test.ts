/**
 * Tokens never cross the network in clear by accident, on either end, with the built CLI:
 * `kgate server` refuses to serve plain HTTP beyond loopback, and every client path (a command's
 * --server, KGATE_SERVER, the kubectl credential plugin) refuses a plain http:// service on another
 * machine before connecting anywhere (10.0.0.1 is never dialled: the refusal comes first). Both
 * are allowed when told so by a flag or variable that says "insecure", and then work end to end:
 * ci-deployer lists its grants from a plain-HTTP service on this machine's non-loopback address.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { prepareSimCluster, SAMPLE_POLICY, serverProcessEnv } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { scratchDir } from '../../support/scratch.js';
import { runKgate, simCliEnv } from '../identity/kgate-cli.js';
import { KGATE_BIN } from './server-process.js';

let world: SimWorld;
let home: string;

beforeAll(async () => {
  world = await startSimWorld();
  await prepareSimCluster(world);
  home = scratchDir('kgate-transport-');
}, 60_000);

afterAll(async () => {
  await world?.close();
});

/** ci-deployer's machine: its client credentials, the sim CA, a private home; no KGATE_SERVER. */
const callerEnv = (extra: Record<string, string> = {}) => {
  const w = world.env;
  return simCliEnv(home, {
    KGATE_ISSUER: w.KGATE_ISSUER, KGATE_CLIENT_ID: w.KGATE_CLIENT_ID, KGATE_CLIENT_SECRET: w.KGATE_CLIENT_SECRET,
    KGATE_AUDIENCE: w.KGATE_AUDIENCE, KGATE_CA_FILE: w.KGATE_CA_FILE,
  }, extra);
};

/** This machine's first non-loopback IPv4 address. */
function externalAddress(): string {
  const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to test with');
  return address;
}

describe('kgate server', () => {
  it('refuses to listen without TLS on a non-loopback address, before reading any policy', async () => {
    for (const listen of ['0.0.0.0:0', '[::]:0', `${externalAddress()}:0`]) {
      const run = await runKgate(['server', '--config', join(home, 'no-such-policy.yaml'), '--listen', listen], { env: { PATH: process.env.PATH, HOME: home } });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Refusing to serve plain HTTP on');
      expect(run.stderr).toContain('(KGATE_INSECURE_LISTEN)');
      expect(run.stderr).toContain('--insecure-listen-http');
    }
  });

  describe('told --insecure-listen-http', () => {
    let child: ChildProcess;
    let port = 0;
    const log: string[] = [];

    beforeAll(async () => {
      child = spawn(process.execPath, [KGATE_BIN, 'server', '--config', SAMPLE_POLICY, '--data-dir', scratchDir('kgate-transport-data-'), '--listen', '0.0.0.0:0', '--insecure-listen-http'], {
        env: { PATH: process.env.PATH, HOME: home, KGATE_STATE_DIR: join(home, 'server-state'), ...serverProcessEnv(world) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kgate server did not start:\n${log.join('')}`)), 30_000);
        const onData = (d: Buffer) => {
          log.push(d.toString());
          const match = /kgate server listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(log.join(''));
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.once('exit', () => reject(new Error(`kgate server exited:\n${log.join('')}`)));
      });
      const login = await runKgate(['login', '--client-credentials'], { env: callerEnv() });
      expect(login.code).toBe(0);
    }, 60_000);

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    });

    it('serves plain HTTP on every address and says so loudly', () => {
      expect(log.join('')).toContain('serving plain HTTP beyond loopback (--insecure-listen-http): tokens cross the network unencrypted');
    });

    it('a client refuses it at a non-loopback address, and uses it when told --insecure-http-server or KGATE_INSECURE_HTTP_SERVER=1', async () => {
      const url = `http://${externalAddress()}:${port}`;
      const refused = await runKgate(['grants', 'list', '--server', url], { env: callerEnv() });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`Refusing plain http to the policy service at ${externalAddress()}:${port} (--server)`);
      expect(refused.stderr).toContain('(KGATE_INSECURE_SERVER_URL)');
      const byFlag = await runKgate(['grants', 'list', '--server', url, '--insecure-http-server', '--json'], { env: callerEnv() });
      expect([byFlag.code, JSON.parse(byFlag.stdout).status]).toEqual([0, 'ok']);
      const byEnv = await runKgate(['grants', 'list', '--json'], { env: callerEnv({ KGATE_SERVER: url, KGATE_INSECURE_HTTP_SERVER: '1' }) });
      expect([byEnv.code, JSON.parse(byEnv.stdout).status]).toEqual([0, 'ok']);
      // On loopback plain HTTP needs no flag.
      const loopback = await runKgate(['grants', 'list', '--server', `http://127.0.0.1:${port}`, '--json'], { env: callerEnv() });
      expect([loopback.code, JSON.parse(loopback.stdout).status]).toEqual([0, 'ok']);
    });
  });
});

describe('clients', () => {
  it.each([
    ['--server', ['grants', 'list', '--server', 'http://10.0.0.1'], {}],
    ['--server on logout --end-grants', ['logout', '--end-grants', '--server', 'http://10.0.0.1:8080'], {}],
    ['KGATE_SERVER', ['grants', 'request', '--cluster', 'kgate-sim', '--grant', 'read-only'], { KGATE_SERVER: 'http://10.0.0.1:8080' }],
    ['KGATE_SERVER, kubeconfig add', ['kubeconfig', 'add', '--cluster', 'kgate-sim', '--grant', 'read-only', '--kubeconfig', 'KUBECONFIG'], { KGATE_SERVER: 'http://10.0.0.1' }],
  ])('refuse plain http to another machine from %s, before connecting', async (_, args, extra) => {
    const argv = args.map((a) => (a === 'KUBECONFIG' ? join(home, 'kubeconfig') : a));
    const run = await runKgate(argv, { env: callerEnv(extra), timeoutMs: 20_000 });
    expect(run.stderr).toContain('Refusing plain http to the policy service at 10.0.0.1');
    // logout signs out anyway and exits with the failure's code, saying the grants may still be live.
    expect(run.code).toBe(2);
  });

  it('the kubectl credential plugin refuses it too, for a gateway context and for the broker daemon', async () => {
    const execInfo = JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
    const gateway = await runKgate(['credential', '--cluster', 'kgate-sim', '--grant', 'read-only', '--gateway', '--server', 'http://10.0.0.1'], { env: callerEnv({ KUBERNETES_EXEC_INFO: execInfo }), timeoutMs: 20_000 });
    expect(gateway.code).toBe(2);
    expect(gateway.stdout).toBe('');
    expect(gateway.stderr).toContain('Refusing plain http to the policy service at 10.0.0.1 (--server)');
    const broker = await runKgate(['credential', '--cluster', 'kgate-sim-broker', '--grant', 'read-only'], { env: callerEnv({ KUBERNETES_EXEC_INFO: execInfo, KGATE_SERVER: 'http://10.0.0.1' }), timeoutMs: 20_000 });
    expect(broker.code).toBe(2);
    expect(broker.stderr).toContain('Refusing plain http to the policy service at 10.0.0.1 (KGATE_SERVER)');
  });
});
