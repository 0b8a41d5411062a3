/**
 * The policy service in the sim: `kgate server`'s pieces started in-process against a running
 * world, with the sample policy (or another) whose `${NAME}` references expand from world.env, the
 * SQLite store in a data directory, and the EKS adapter acting as the policy service's own AWS
 * identity (the sim's IAM user `kgate-sim-admin`, mapped to `kgate-server` by an access entry).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClusterAdapter } from '../../src/cluster/index.js';
import { loadPolicy } from '../../src/policy/schema/index.js';
import { startPolicyServer } from '../../src/policy/server/server.js';
import { createServerLogger, type ServiceLogger } from '../../src/policy/server/logger.js';
import { openSqliteStore } from '../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../src/policy/store/types.js';
import type { Policy } from '../../src/policy/types.js';
import { kubectl } from '../support/kubectl.js';
import type { SimTls } from './tls.js';
import type { SimWorld } from './world.js';

/** The sim's sample policy. */
export const SAMPLE_POLICY = join(dirname(fileURLToPath(import.meta.url)), 'policy', 'sample-policy.yaml');

/** The sample policy's second entry for the sim's EKS cluster, in `access: broker` mode. */
export const BROKER_CLUSTER = 'kgate-sim-broker';

/** Namespaces the sample policy grants into that the world does not seed. */
const GRANTED_NAMESPACES = ['apps'];

/**
 * What the policy service needs of the world: its variables, the admin kubeconfig, the TLS
 * material and the service's own AWS identity. A process without the world in it (the gateway
 * benchmark's) builds this from what the sim process announces.
 */
export interface SimPolicyWorld extends Pick<SimWorld, 'env' | 'kubeconfig' | 'clusterName'> {
  tls: { ca: Pick<SimTls['ca'], 'cert'>; server: SimTls['server'] };
  aws: { root: { accessKeyId: string; secretAccessKey: string }; region: string };
}

export interface SimPolicyServerOptions {
  policyFile?: string;
  /** Where kgate.db lives; default a fresh temp directory removed on close. */
  dataDir?: string;
  logger?: ServiceLogger;
  /** Period of the expiry sweep; default the service's. */
  sweepIntervalMs?: number;
  /** The service's clock; default Date.now. */
  now?: () => number;
  /** Loopback port; default a free one (a restart passes the old one so clients find it again). */
  port?: number;
}

export interface SimPolicyServer {
  url: string;
  policy: Policy;
  store: PolicyStore;
  dataDir: string;
  /** What `npm run sim` adds to the env file. */
  /** KGATE_CLUSTER is served through the gateway, KGATE_BROKER_CLUSTER (the same EKS cluster) through local brokers. */
  env: { KGATE_SERVER: string; KGATE_CLUSTER: string; KGATE_BROKER_CLUSTER: string };
  close(): Promise<void>;
}

/** The variables a policy file may reference: the world's, over the process's. */
export function policyEnv(world: Pick<SimWorld, 'env'>): Record<string, string | undefined> {
  return { ...process.env, ...world.env };
}

/**
 * The environment a separate `kgate server` process needs in the sim: the world's variables (for
 * the policy's `${NAME}`s) and the service's own AWS identity as ambient credentials.
 */
export function serverProcessEnv(world: SimPolicyWorld): Record<string, string> {
  return {
    ...world.env,
    AWS_ACCESS_KEY_ID: world.aws.root.accessKeyId,
    AWS_SECRET_ACCESS_KEY: world.aws.root.secretAccessKey,
    AWS_REGION: world.aws.region,
  };
}

/** Creates the namespaces the sample grants name, as the cluster's admin would have. */
export async function prepareSimCluster(world: Pick<SimWorld, 'kubeconfig'>): Promise<void> {
  for (const name of GRANTED_NAMESPACES) {
    const result = await kubectl(['create', 'namespace', name], { kubeconfig: world.kubeconfig });
    if (result.code !== 0 && !result.stderr.includes('AlreadyExists')) throw new Error(`cannot create namespace ${name}: ${result.stderr.trim()}`);
  }
}

/** Starts the policy service over HTTPS (the sim's server certificate) on a loopback port. */
export async function startSimPolicyServer(world: SimPolicyWorld, opts: SimPolicyServerOptions = {}): Promise<SimPolicyServer> {
  const policy = await loadPolicy([opts.policyFile ?? SAMPLE_POLICY], { env: policyEnv(world) });
  await prepareSimCluster(world);
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kgate-server-')));
  const store = openSqliteStore(join(dataDir, 'kgate.db'));
  const logger = opts.logger ?? createServerLogger({ level: 'silent' });
  const credentials = { accessKeyId: world.aws.root.accessKeyId, secretAccessKey: world.aws.root.secretAccessKey };
  try {
    const server = await startPolicyServer({
      policy,
      store,
      clusters: (config) => createClusterAdapter(config, { log: logger, awsCredentials: async () => credentials }),
      listen: { host: '127.0.0.1', port: opts.port ?? 0 },
      tls: { cert: world.tls.server.cert, key: world.tls.server.key },
      caBundle: world.tls.ca.cert,
      logger,
      sweepIntervalMs: opts.sweepIntervalMs,
      now: opts.now,
      stateDir: dataDir,
    });
    return {
      url: server.url,
      policy,
      store,
      dataDir,
      env: { KGATE_SERVER: server.url, KGATE_CLUSTER: world.clusterName, KGATE_BROKER_CLUSTER: BROKER_CLUSTER },
      close: async () => {
        await server.close();
        await store.close();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
