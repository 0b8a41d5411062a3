/**
 * The commands that ask the policy service what is there, run as the built CLI against the real
 * service in the sim: `kgate doctor` reaching it with the TLS settings every command uses and naming
 * why it cannot; `kgate clusters` and `kgate templates` listing what each caller may ask for.
 */
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBrokerPort } from '../../../src/broker/daemon/port.js';
import type { GrantTemplateView } from '../../../src/policy/server/api.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { createSandbox, runKgate, type KgateRun, type Sandbox } from '../identity/kgate-cli.js';

const POLICY = join(dirname(fileURLToPath(import.meta.url)), 'discovery-policy.yaml');

let world: SimWorld;
let server: SimPolicyServer;
let box: Sandbox;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world, { policyFile: POLICY });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await world?.close();
});

beforeEach(async () => {
  box = await createSandbox(world.tls.ca.cert);
});

afterEach(async () => {
  await box.remove();
});

type Machine = 'ci-deployer' | 'mcp-agent';

/** The sandbox's environment as a machine of the sim, pointed at the policy service, its CA trusted. */
const machineEnv = (machine: Machine, extra: Record<string, string | undefined> = {}) => box.env({
  KGATE_ISSUER: world.env.KGATE_ISSUER,
  KGATE_CLIENT_ID: machine,
  KGATE_CLIENT_SECRET: world.env[`SIM_${machine.toUpperCase().replace('-', '_')}_CLIENT_SECRET`],
  KGATE_SERVER: server.url,
  ...extra,
});

const kgate = (args: string[], env: Record<string, string | undefined>) => runKgate(args, { env, input: '' });
const result = <T>(run: KgateRun): T => (JSON.parse(run.stdout) as { status: string; result: T }).result;

interface Check {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('kgate doctor', () => {
  /** The policy service line and its fix. */
  const policyLine = (run: KgateRun) => {
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => / policy service /.test(l));
    return lines.slice(at, at + 2).join('\n');
  };

  it('trusts the CA every other command trusts (KGATE_CA_FILE), and --json says ok with exit 0', async () => {
    const env = machineEnv('ci-deployer');
    const human = await kgate(['doctor'], env);
    expect(human.stdout).toMatch(new RegExp(`^ok +policy service +${server.url} answers`, 'm'));
    expect(human.code).toBe(0);
    const json = await kgate(['doctor', '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { status: string; result: Check[] };
    expect(parsed.status).toBe('ok');
    expect(parsed.result.find((c) => c.name === 'policy service')?.status).toBe('ok');
    // The same CA, given only as KGATE_SERVER_CA_FILE, works the same.
    const serverCa = await kgate(['doctor'], { ...env, KGATE_CA_FILE: undefined, KGATE_SERVER_CA_FILE: box.caFile });
    expect(serverCa.code).toBe(0);
  });

  it('names an untrusted certificate, and --json is an error envelope carrying every check, exit 1', async () => {
    const env = machineEnv('ci-deployer', { KGATE_CA_FILE: undefined });
    const human = await kgate(['doctor'], env);
    expect(human.code).toBe(1);
    expect(policyLine(human)).toMatch(new RegExp(`^FAIL +policy service +${server.url}: TLS certificate not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)\n +fix: Trust its CA: set KGATE_SERVER_CA_FILE \\(or KGATE_CA_FILE\\) to its PEM file\\.$`));
    expect(human.stderr).toBe('Error: 1 check failed: policy service (KGATE_DOCTOR_FAILED)\n  → Each failed check above says how to fix it.\n');
    const json = await kgate(['doctor', '--json'], env);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { status: string; error: { code: string; exitCode: number; checks: Check[] } };
    expect(parsed).toMatchObject({ status: 'error', error: { code: 'KGATE_DOCTOR_FAILED', exitCode: 1 } });
    expect(parsed.error.checks.map((c) => c.name)).toEqual(['node', 'kubectl', 'keyring', 'config directory', 'state directory', 'policy service']);
    expect(parsed.error.checks.find((c) => c.name === 'policy service')).toMatchObject({ status: 'fail', detail: expect.stringContaining('TLS certificate not trusted') as string });
  });

  it('names a refused connection and an unknown host', async () => {
    const port = await closedPort();
    const refused = await kgate(['doctor'], machineEnv('ci-deployer', { KGATE_SERVER: `https://127.0.0.1:${port}` }));
    expect(refused.code).toBe(1);
    expect(policyLine(refused)).toMatch(new RegExp(`^FAIL +policy service +https://127\\.0\\.0\\.1:${port} unreachable: connection refused \\(ECONNREFUSED\\)\n +fix: Check KGATE_SERVER`));
    const unknown = await kgate(['doctor', '--server', 'https://kgate.invalid'], machineEnv('ci-deployer'));
    expect(policyLine(unknown)).toMatch(/^FAIL +policy service +https:\/\/kgate\.invalid unreachable: host name not found \((ENOTFOUND|EAI_AGAIN)\)/);
  });
});

describe('kgate clusters and kgate templates', () => {
  const login = async (machine: Machine) => {
    const env = machineEnv(machine);
    expect((await kgate(['login'], env)).code).toBe(0);
    return env;
  };

  it('ci-deployer sees the two sim clusters with type, access mode, endpoint and its templates', async () => {
    const env = await login('ci-deployer');
    const table = await kgate(['clusters'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.trimEnd().split('\n').map((l) => l.trimEnd().split(/ {2,}/))).toEqual([
      ['NAME', 'TYPE', 'ACCESS', 'ENDPOINT', 'TEMPLATES'],
      ['kgate-sim', 'eks', 'gateway', `${server.url}/gateway/clusters/kgate-sim`, 'read-only,deploy'],
      ['kgate-sim-broker', 'eks', 'broker', '(local broker, started on first use)', 'read-only'],
    ]);
    // Once the broker daemon's port is chosen, a broker cluster's endpoint is the daemon's URL.
    const port = await ensureBrokerPort(box.stateDir);
    const json = await kgate(['clusters', '--json'], env);
    expect(result(json)).toEqual([
      { name: 'kgate-sim', type: 'eks', access: 'gateway', endpoint: `${server.url}/gateway/clusters/kgate-sim`, templates: ['read-only', 'deploy'] },
      { name: 'kgate-sim-broker', type: 'eks', access: 'broker', endpoint: `https://127.0.0.1:${port}/clusters/kgate-sim-broker`, templates: ['read-only'] },
    ]);
  });

  it('ci-deployer sees its templates with clusters, role, namespaces, approval and TTLs', async () => {
    const env = await login('ci-deployer');
    const table = await kgate(['templates'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.trimEnd().split('\n').map((l) => l.trimEnd().split(/ {2,}/))).toEqual([
      ['NAME', 'CLUSTERS', 'ROLE', 'NAMESPACES', 'APPROVAL', 'TTL', 'MAX TTL', 'REASON'],
      ['read-only', 'kgate-sim,kgate-sim-broker', 'view', '(all)', 'none', '1h', '8h', 'optional'],
      ['deploy', 'kgate-sim', 'edit', 'apps,web', '1 of sre-leads', '30m', '4h', 'required'],
    ]);
    const json = await kgate(['templates', '--cluster', 'kgate-sim-broker', '--json'], env);
    expect(json.code).toBe(0);
    expect(result<GrantTemplateView[]>(json)).toEqual([{
      name: 'read-only', description: 'Read everything but Secrets.', clusters: ['kgate-sim', 'kgate-sim-broker'], access: { 'kgate-sim': 'gateway', 'kgate-sim-broker': 'broker' },
      clusterRole: 'view', namespaces: ['*'], defaultTtlMs: 3_600_000, maxTtlMs: 8 * 3_600_000, reasonRequired: false, breakGlassOnly: false,
    }]);
  });

  it('mcp-agent sees only the cluster and template offered to it', async () => {
    const env = await login('mcp-agent');
    expect(result(await kgate(['clusters', '--json'], env))).toEqual([
      { name: 'lab', type: 'kubernetes', access: 'gateway', endpoint: `${server.url}/gateway/clusters/lab`, templates: ['lab-admin'] },
    ]);
    const table = await kgate(['templates'], env);
    expect(table.stdout.trimEnd().split('\n')[1]?.split(/ {2,}/)).toEqual(['lab-admin', 'lab', 'admin', 'lab', 'none', '15m', '1h30m', 'optional']);
    const none = await kgate(['templates', '--cluster', 'kgate-sim'], env);
    expect([none.code, none.stdout]).toEqual([0, 'No grant template is offered to you on kgate-sim.\n']);
  });

  it('an unknown cluster and a missing login are clear errors', async () => {
    const anonymous = await kgate(['clusters', '--json'], machineEnv('ci-deployer', { KGATE_CLIENT_SECRET: undefined }));
    expect(anonymous.code).toBe(4);
    expect(JSON.parse(anonymous.stdout)).toMatchObject({ status: 'error', error: { code: 'KGATE_LOGIN_NEEDED' } });
    const env = await login('ci-deployer');
    const unknown = await kgate(['templates', '--cluster', 'nowhere'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Error: Unknown cluster nowhere (KGATE_SERVER_NOT_FOUND)\n');
  });
});
