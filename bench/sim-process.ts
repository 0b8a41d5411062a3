/**
 * The simulated world in a process of its own, for benchmarks that must not share a core's event
 * loop with it: starts `startSimWorld()`, prints one JSON line (`SimProcessInfo`) and runs until
 * SIGTERM, SIGINT or its stdin closes. The line carries the admin token, the sim's variables and
 * the server certificate's key, so the parent reads it from a pipe and never prints it.
 *
 * Run by bench/broker.ts: node --import tsx bench/sim-process.ts
 */
import type { SimPolicyWorld } from '../test/sim/policy-server.js';
import { startSimWorld } from '../test/sim/world.js';
import { announceReady } from './child.js';

/** What the sim process announces. */
export interface SimProcessInfo {
  apiServer: string;
  /** Path of the PEM CA file of every sim endpoint. */
  caFile: string;
  adminToken: string;
  /** The admin's kubeconfig, straight to the apiserver. */
  kubeconfig: string;
  /** The variables `npm run sim -- --env-file` writes (what the sample policy's `${NAME}`s need). */
  env: Record<string, string>;
  /** What a policy service in another process needs of this world (bench/gateway-process.ts). */
  policyWorld: SimPolicyWorld;
}

const world = await startSimWorld();
const policyWorld: SimPolicyWorld = {
  env: world.env,
  kubeconfig: world.kubeconfig,
  clusterName: world.clusterName,
  tls: { ca: { cert: world.tls.ca.cert }, server: world.tls.server },
  aws: { root: world.aws.root, region: world.aws.region },
};
const info: SimProcessInfo = { apiServer: world.apiServer.url, caFile: world.caFile, adminToken: world.adminToken, kubeconfig: world.kubeconfig, env: world.env, policyWorld };
await announceReady(info, () => world.close());
