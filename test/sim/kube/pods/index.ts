/**
 * The pod runtime of the simulated kube-apiserver: a simulated node that runs every stored pod's
 * containers as real local processes, serves their logs, and serves exec/attach and port-forward
 * over WebSocket.
 *
 * The REST core calls it after authentication and authorization:
 * - `handleLog` for `GET /api/v1/namespaces/{ns}/pods/{name}/log` (it may throw StatusError
 *   before writing anything; the REST core renders that as a Status response);
 * - `handleUpgrade` for every upgrade request (WebSocket GET or SPDY POST) on pods/exec,
 *   pods/attach and pods/portforward; it always answers on the socket itself.
 */
import type { HandlerContext, ObjectStore, UpgradeContext } from '../types.js';
import { serveLog } from './log-handler.js';
import { PodSupervisor } from './pod-supervisor.js';
import { StreamUpgrades } from './upgrade-handler.js';

export interface PodRuntime {
  /** Serves an already authorized upgrade request on pods/exec, pods/attach or pods/portforward. */
  handleUpgrade(ctx: UpgradeContext): void;
  /** Serves an already authorized `GET pods/{name}/log`. */
  handleLog(ctx: HandlerContext): Promise<void>;
  /** Ends every session and stops every process (SIGTERM, then SIGKILL). */
  close(): Promise<void>;
}

export interface PodRuntimeOptions {
  store: ObjectStore;
  /** Containers get working directories under it (created if missing). */
  workDir: string;
  log?: (line: string) => void;
}

/**
 * Starts the simulated node: adopts the pods already in the store and every pod created later.
 */
export function createPodRuntime(opts: PodRuntimeOptions): PodRuntime {
  const log = opts.log ?? (() => undefined);
  const supervisor = new PodSupervisor(opts.store, opts.workDir, log);
  supervisor.start();
  const upgrades = new StreamUpgrades(supervisor, log);
  return {
    handleUpgrade: (ctx) => upgrades.handle(ctx),
    handleLog: (ctx) => serveLog(ctx, supervisor, log),
    close: async () => {
      await upgrades.close();
      await supervisor.close();
    },
  };
}
