/**
 * What the broker benchmarks share: the simulated cluster with a broker in front of it in this
 * process (bench/broker-stack.ts), a real `kubectl proxy` in its own process, and the table and
 * statistics helpers. Everything listens on loopback and is removed by the returned `close`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineAuditRecord } from '../src/broker/pipeline/index.js';
import { policyEnv } from '../test/sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../test/sim/world.js';
import { kubectlBinary } from '../test/support/kubectl.js';
import { startBenchBroker } from './broker-stack.js';
import { startChild } from './child.js';

/** Where a client connects, and as whom. */
export interface Endpoint {
  name: string;
  url: string;
  /** PEM CA for https endpoints. */
  ca?: string;
  /** Bearer token; none for `kubectl proxy`, which adds the admin's own. */
  token?: string;
  /** A kubeconfig that reaches the cluster through this endpoint. */
  kubeconfig: string;
  /** The server process answering here, when it runs on its own (CPU accounting). */
  pid?: number;
}

/** The sim and a broker in front of it, sharing this process, and what the broker audited. */
export interface BenchCluster {
  world: SimWorld;
  direct: Endpoint;
  broker: Endpoint;
  audits: PipelineAuditRecord[];
  close(): Promise<void>;
}

/** Starts the simulated world and a broker forwarding with the admin token, both in this process. */
export async function startBenchCluster(): Promise<BenchCluster> {
  const world = await startSimWorld();
  try {
    const upstream = { url: world.apiServer.url, ca: world.tls.ca.cert, token: world.adminToken };
    const broker = await startBenchBroker({ upstream, policyEnv: policyEnv(world), auditSpool: false });
    return {
      world,
      direct: { name: 'direct to the sim', url: world.apiServer.url, ca: world.tls.ca.cert, token: world.adminToken, kubeconfig: world.kubeconfig },
      broker: { name: 'kgate broker', url: broker.url, ca: broker.ca, token: broker.sessionToken, kubeconfig: broker.kubeconfig },
      audits: broker.audits,
      close: async () => {
        await broker.close();
        await world.close();
      },
    };
  } catch (error) {
    await world.close();
    throw error;
  }
}

/** A running `kubectl proxy`. */
export interface KubectlProxy {
  url: string;
  close(): Promise<void>;
}

/** Starts the real kubectl's `proxy` in its own process on a free loopback port, in front of whatever `kubeconfig` points at. */
export async function startKubectlProxy(kubeconfig: string): Promise<KubectlProxy> {
  const binary = (await kubectlBinary()).path;
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-bench-kubecache-'));
  const child = await startChild(binary, ['proxy', '--address=127.0.0.1', '--port=0', '--kubeconfig', kubeconfig], {
    name: 'kubectl proxy',
    env: { ...process.env, KUBECACHEDIR: cacheDir },
    ready: (stdout) => {
      const match = /Starting to serve on (127\.0\.0\.1:\d+)/.exec(stdout);
      return match ? `http://${match[1]}` : undefined;
    },
    cleanup: () => rm(cacheDir, { recursive: true, force: true }),
  });
  return { url: child.ready, close: child.stop };
}

/** The value below which `p` (0–1) of the sorted samples lie (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Samples the process's RSS every few milliseconds until stopped; returns the peak in bytes. */
export function watchPeakRss(intervalMs = 20): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), intervalMs);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss());
  };
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
