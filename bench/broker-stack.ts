/**
 * The broker the benchmarks measure, assembled exactly as the pipeline end-to-end test does (sample
 * guardrails, full default masking) in front of a given apiserver: the pipeline, a loopback TLS
 * listener with its own local CA and a session kubeconfig. With `auditSpool` it also keeps the
 * audit trail `kgate exec` keeps (the real audit sink, sealed events fsynced to the SQLite spool
 * before each response completes). Shared by the in-process bench cluster and the broker process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '../src/audit/spool.js';
import { startLoopbackListener } from '../src/broker/listener/server.js';
import { openLocalCa } from '../src/broker/local-ca.js';
import { createPipeline, type PipelineAuditRecord, type PipelineOptions } from '../src/broker/pipeline/index.js';
import { createAuditSink } from '../src/broker/runtime/audit-sink.js';
import { writeSessionKubeconfig } from '../src/broker/session-kubeconfig.js';
import { compileDetectors } from '../src/mask/detectors.js';
import { defaultMasking, loadPolicy } from '../src/policy/schema/index.js';
import { SAMPLE_POLICY } from '../test/sim/policy-server.js';

/** The apiserver the broker forwards to, and the token it forwards with. */
export interface BenchUpstream {
  url: string;
  /** PEM CA of the apiserver. */
  ca: string;
  token: string;
}

export interface BenchBrokerOptions {
  upstream: BenchUpstream;
  /** Where the sample policy's `${NAME}`s come from (the sim's variables). */
  policyEnv: Record<string, string | undefined>;
  /** Keep the durable audit trail `kgate exec` keeps. */
  auditSpool: boolean;
}

/** A running broker: how a client reaches it, and what it audited (in memory, without the spool). */
export interface BenchBroker {
  url: string;
  /** PEM CA of the broker's local CA. */
  ca: string;
  sessionToken: string;
  /** A kubeconfig that reaches the cluster through the broker. */
  kubeconfig: string;
  audits: PipelineAuditRecord[];
  close(): Promise<void>;
}

/** Starts one broker in this process in front of `upstream`. */
export async function startBenchBroker(options: BenchBrokerOptions): Promise<BenchBroker> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const stateDir = await mkdtemp(join(tmpdir(), 'kgate-bench-'));
    closers.push(() => rm(stateDir, { recursive: true, force: true }));
    const policy = await loadPolicy([SAMPLE_POLICY], { env: options.policyEnv });
    const ca = await openLocalCa(stateDir);
    const audits: PipelineAuditRecord[] = [];
    const { url, ca: upstreamCa, token } = options.upstream;
    const base: PipelineOptions = {
      upstream: { url, ca: upstreamCa, token: async () => ({ token, expiresAt: Date.now() + 3_600_000 }) },
      principal: { issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [], claims: {} },
      cluster: 'sim',
      rules: () => policy.rules,
      masking: defaultMasking(),
      onAudit: (record) => audits.push(record),
      log: () => undefined,
    };
    let pipelineOptions = base;
    if (options.auditSpool) {
      const spool = openSpool(join(stateDir, 'audit', 'spool.db'), { maxBytes: 1 << 30, maxEvents: 10_000_000 });
      closers.push(() => spool.close());
      const sink = createAuditSink({ spool, session: 'bench', principal: { id: 'https://idp.example#alice', issuer: 'https://idp.example', subject: 'alice', name: 'alice', type: 'human', groups: [] }, cluster: 'sim', detectors: compileDetectors(defaultMasking().detectors), log: () => undefined });
      pipelineOptions = { ...base, onAudit: (record) => sink.complete(record), onResponseStarted: (record) => sink.started(record), admit: () => sink.admit() };
    }
    const pipeline = createPipeline(pipelineOptions);
    closers.push(() => pipeline.close());
    const sessionToken = `bench-session-${process.pid}`;
    const listener = await startLoopbackListener({ ca, sessionTokens: [sessionToken], handler: pipeline.handle, upgrade: pipeline.upgrade });
    closers.push(() => listener.close());
    const session = await writeSessionKubeconfig({ url: listener.url, caCertificate: ca.certificate, token: sessionToken, clusters: [{ name: 'sim' }] });
    closers.push(() => session.dispose());
    return { url: listener.url, ca: ca.certificate, sessionToken, kubeconfig: session.path, audits, close };
  } catch (error) {
    await close();
    throw error;
  }
}
