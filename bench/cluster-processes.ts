/**
 * The broker latency benchmark's cluster with every server in its own process, as in reality: the
 * sim (bench/sim-process.ts), the plain broker and the broker with the audit spool
 * (bench/broker-process.ts, each in front of the sim), `kgate server` with its gateway
 * (bench/gateway-process.ts) and `kubectl proxy`. The load generator stays in the calling process
 * and reaches the gateway with a gateway credential, as a CI job does (bench/gateway-credential.ts).
 * `close` stops every child and removes what they left, and so does a failure while starting.
 */
import { readFile } from 'node:fs/promises';
import type { BrokerProcessInfo } from './broker-process.js';
import { startNodeChild } from './child.js';
import { reachGateway } from './gateway-credential.js';
import type { GatewayProcessInfo } from './gateway-process.js';
import type { SimProcessInfo } from './sim-process.js';
import { startKubectlProxy, type Endpoint } from './support.js';

/** The endpoints the load generator measures, and how to stop every process behind them. */
export interface ProcessCluster {
  direct: Endpoint;
  broker: Endpoint;
  /** The broker with the audit trail `kgate exec` keeps: sealed events fsynced to the SQLite spool before each response completes. */
  spooled: Endpoint;
  /** `kgate server`'s gateway, with a gateway credential for the sample's gateway-mode cluster. */
  gateway: Endpoint;
  proxy: Endpoint;
  close(): Promise<void>;
}

/** Starts the sim, then both brokers, `kgate server` and `kubectl proxy` in front of it, each in a process of its own. */
export async function startProcessCluster(): Promise<ProcessCluster> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const sim = await startNodeChild<SimProcessInfo>('sim-process.ts', [], { name: 'sim' });
    closers.push(sim.stop);
    const { apiServer, caFile, adminToken, kubeconfig, env, policyWorld } = sim.ready;
    const ca = await readFile(caFile, 'utf8');
    const brokerEnv = { ...process.env, ...env, BENCH_UPSTREAM_URL: apiServer, BENCH_UPSTREAM_CA_FILE: caFile, BENCH_UPSTREAM_TOKEN: adminToken };
    const startBroker = async (name: string, args: string[]): Promise<Endpoint> => {
      const broker = await startNodeChild<BrokerProcessInfo>('broker-process.ts', args, { name, env: brokerEnv });
      closers.push(broker.stop);
      return { name, url: broker.ready.url, ca: broker.ready.ca, token: broker.ready.sessionToken, kubeconfig: broker.ready.kubeconfig, ...(broker.pid ? { pid: broker.pid } : {}) };
    };
    const startGateway = async (): Promise<Endpoint> => {
      const server = await startNodeChild<GatewayProcessInfo>('gateway-process.ts', [], { name: 'kgate server', env: { ...process.env, BENCH_SIM_WORLD: JSON.stringify(policyWorld) } });
      closers.push(server.stop);
      const reached = await reachGateway({ server: server.ready.url, cluster: server.ready.cluster, ca, caFile, env });
      closers.push(reached.close);
      return { ...reached.endpoint, ...(server.pid ? { pid: server.pid } : {}) };
    };
    const startProxy = async (): Promise<Endpoint> => {
      const proxy = await startKubectlProxy(kubeconfig);
      closers.push(proxy.close);
      return { name: 'kubectl proxy', url: proxy.url, kubeconfig };
    };
    // Settle them all before failing, so a child that started after another failed is still stopped.
    const started = await Promise.allSettled([startBroker('kgate broker', []), startBroker('kgate broker + audit spool', ['--audit-spool']), startGateway(), startProxy()]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [broker, spooled, gateway, proxy] = started.map((result) => (result as PromiseFulfilledResult<Endpoint>).value) as [Endpoint, Endpoint, Endpoint, Endpoint];
    return {
      direct: { name: 'direct to the sim', url: apiServer, ca, token: adminToken, kubeconfig, ...(sim.pid ? { pid: sim.pid } : {}) },
      broker,
      spooled,
      gateway,
      proxy,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
