/**
 * `kgate server` with the sample policy in a process of its own, as it runs in front of a remote
 * cluster: the policy service and its gateway (test/sim/policy-server.ts) against the sim named by
 * BENCH_SIM_WORLD (the `policyWorld` bench/sim-process.ts announces, JSON), serving the sim's
 * server certificate. Prints one JSON line (`GatewayProcessInfo`) and runs until SIGTERM, SIGINT or
 * its stdin closes; its data directory goes with it.
 *
 * Run by bench/broker.ts through bench/cluster-processes.ts.
 */
import { startSimPolicyServer, type SimPolicyWorld } from '../test/sim/policy-server.js';
import { announceReady } from './child.js';

/** What the gateway process announces. */
export interface GatewayProcessInfo {
  /** The policy service's URL; each gateway cluster is served under it. */
  url: string;
  /** The gateway-mode cluster of the sample policy. */
  cluster: string;
}

const world = process.env.BENCH_SIM_WORLD;
if (!world) throw new Error('BENCH_SIM_WORLD is not set');
const server = await startSimPolicyServer(JSON.parse(world) as SimPolicyWorld);
const info: GatewayProcessInfo = { url: server.url, cluster: server.env.KGATE_CLUSTER };
await announceReady(info, () => server.close());
