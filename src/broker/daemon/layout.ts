/**
 * Where the per-user broker daemon lives and how others find it: its control socket, pid file,
 * log, and the loopback port it keeps across restarts (kubeconfig entries name that port, so it
 * is chosen once and remembered in `broker.json`). One listener serves every cluster under
 * `/clusters/<name>`; kubectl reaches it with the session token `kgate credential` hands out.
 */
import { join } from 'node:path';

export interface BrokerLayout {
  dir: string;
  /** The control socket (0600): newline-delimited JSON requests, see protocol.ts. */
  socket: string;
  pidFile: string;
  log: string;
  /** `{ "port": 41234 }`: the port every kubeconfig entry names. */
  settings: string;
  /** The local CA certificate kubeconfig entries trust (a file, so CA renewal needs no edit). */
  caCert: string;
}

/** The daemon's files under a state directory (the local CA shares the directory). */
export function brokerLayout(stateDir: string): BrokerLayout {
  const dir = join(stateDir, 'broker');
  return {
    dir,
    socket: join(dir, 'control.sock'),
    pidFile: join(dir, 'daemon.pid'),
    log: join(dir, 'daemon.log'),
    settings: join(dir, 'broker.json'),
    caCert: join(dir, 'ca.crt'),
  };
}

/** The path prefix one cluster is served under. */
export function clusterPrefix(cluster: string): string {
  return `/clusters/${encodeURIComponent(cluster)}`;
}

/** The kubeconfig `server` of a cluster behind the daemon on `port`. */
export function clusterServerUrl(port: number, cluster: string): string {
  return `https://127.0.0.1:${port}${clusterPrefix(cluster)}`;
}
