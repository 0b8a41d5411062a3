/**
 * What the broker benchmarks share: the simulated cluster with a broker in front of it, assembled
 * in-process exactly as the pipeline end-to-end test does (sample guardrails, full default
 * masking), a real `kubectl proxy` in front of the same cluster, and the table and statistics
 * helpers. Everything listens on loopback and is removed by the returned `close`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackListener } from '../src/broker/listener/server.js';
import { openLocalCa } from '../src/broker/local-ca.js';
import { createPipeline, type PipelineAuditRecord } from '../src/broker/pipeline/index.js';
import { writeSessionKubeconfig } from '../src/broker/session-kubeconfig.js';
import { createAuditSink } from '../src/broker/runtime/audit-sink.js';
import { openSpool } from '../src/audit/spool.js';
import { compileDetectors } from '../src/mask/detectors.js';
import { defaultMasking, loadPolicy } from '../src/policy/schema/index.js';
import { policyEnv, SAMPLE_POLICY } from '../test/sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../test/sim/world.js';
import { kubectlBinary } from '../test/support/kubectl.js';

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
}

/** The sim, the broker in front of it, and what the broker audited. */
export interface BenchCluster {
  world: SimWorld;
  direct: Endpoint;
  broker: Endpoint;
  /** The same broker with the audit trail `kgate exec` keeps: sealed events fsynced to the SQLite spool before each response completes. */
  spooled: Endpoint;
  audits: PipelineAuditRecord[];
  close(): Promise<void>;
}

/** Starts the simulated world and a broker forwarding with the admin token. */
export async function startBenchCluster(): Promise<BenchCluster> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const world = await startSimWorld();
    closers.push(() => world.close());
    const stateDir = await mkdtemp(join(tmpdir(), 'kgate-bench-'));
    closers.push(() => rm(stateDir, { recursive: true, force: true }));
    const policy = await loadPolicy([SAMPLE_POLICY], { env: policyEnv(world) });
    const ca = await openLocalCa(stateDir);
    const audits: PipelineAuditRecord[] = [];
    const pipeline = createPipeline({
      upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
      principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
      cluster: 'sim',
      rules: () => policy.rules,
      masking: defaultMasking(),
      onAudit: (record) => audits.push(record),
      log: () => undefined,
    });
    closers.push(() => pipeline.close());
    const sessionToken = `bench-session-${process.pid}`;
    const listener = await startLoopbackListener({ ca, sessionTokens: [sessionToken], handler: pipeline.handle, upgrade: pipeline.upgrade });
    closers.push(() => listener.close());
    const session = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: sessionToken, clusters: [{ name: 'sim' }] });
    closers.push(() => session.dispose());
    const spool = openSpool(join(stateDir, 'audit', 'spool.db'), { maxBytes: 1 << 30, maxEvents: 10_000_000 });
    closers.push(() => spool.close());
    const sink = createAuditSink({ spool, session: 'bench', principal: { id: 'https://idp.example#alice', issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [] }, cluster: 'sim', detectors: compileDetectors(defaultMasking().detectors), log: () => undefined });
    const spooledPipeline = createPipeline({
      upstream: { url: world.apiServer.url, ca: world.tls.ca.cert, token: async () => ({ token: world.adminToken, expiresAt: Date.now() + 3_600_000 }) },
      principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
      cluster: 'sim',
      rules: () => policy.rules,
      masking: defaultMasking(),
      onAudit: (record) => sink.complete(record),
      onResponseStarted: (record) => sink.started(record),
      admit: () => sink.admit(),
      log: () => undefined,
    });
    closers.push(() => spooledPipeline.close());
    const spooledListener = await startLoopbackListener({ ca, sessionTokens: [sessionToken], handler: spooledPipeline.handle, upgrade: spooledPipeline.upgrade });
    closers.push(() => spooledListener.close());
    return {
      world,
      spooled: { name: 'kgate broker + audit spool', url: spooledListener.url, ca: ca.certificate, token: sessionToken, kubeconfig: session.path },
      direct: { name: 'direct to the sim', url: world.apiServer.url, ca: world.tls.ca.cert, token: world.adminToken, kubeconfig: world.kubeconfig },
      broker: { name: 'kgate broker', url: listener.url, ca: ca.certificate, token: sessionToken, kubeconfig: session.path },
      audits,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A running `kubectl proxy`. */
export interface KubectlProxy {
  url: string;
  close(): Promise<void>;
}

/** Starts the real kubectl's `proxy` on a free loopback port, in front of whatever `kubeconfig` points at. */
export async function startKubectlProxy(kubeconfig: string): Promise<KubectlProxy> {
  const binary = (await kubectlBinary()).path;
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-bench-kubecache-'));
  const child = spawn(binary, ['proxy', '--address=127.0.0.1', '--port=0', '--kubeconfig', kubeconfig], {
    env: { ...process.env, KUBECACHEDIR: cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(cacheDir, { recursive: true, force: true });
  };
  let output = '';
  const url = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Starting to serve on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => resolve(undefined));
  });
  if (!url) {
    await close();
    throw new Error(`kubectl proxy did not start: ${output.trim()}`);
  }
  return { url, close };
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
