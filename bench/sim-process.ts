/**
 * The simulated world in a process of its own, for benchmarks that must not share a core's event
 * loop with it: starts `startSimWorld()`, prints one JSON line (`SimProcessInfo`) and runs until
 * SIGTERM, SIGINT or its stdin closes. The line carries the admin token and the sim's variables,
 * so the parent reads it from a pipe and never prints it.
 *
 * Run by bench/broker.ts: node --import tsx bench/sim-process.ts
 */
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
}

const world = await startSimWorld();
const info: SimProcessInfo = { apiServer: world.apiServer.url, caFile: world.caFile, adminToken: world.adminToken, kubeconfig: world.kubeconfig, env: world.env };
await announceReady(info, () => world.close());
