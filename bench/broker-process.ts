/**
 * One benchmark broker in a process of its own, as `kgate exec` runs its broker in front of a
 * remote apiserver: builds the pipeline and loopback listener (bench/broker-stack.ts) in front of
 * the apiserver named by the environment, prints one JSON line (`BrokerProcessInfo`) and runs until
 * SIGTERM, SIGINT or its stdin closes. `--audit-spool` adds the durable audit trail.
 *
 * Environment: BENCH_UPSTREAM_URL, BENCH_UPSTREAM_CA_FILE, BENCH_UPSTREAM_TOKEN, and the sim's
 * variables for the sample policy. Run by bench/broker.ts.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startBenchBroker } from './broker-stack.js';
import { announceReady } from './child.js';

/** What the broker process announces. */
export interface BrokerProcessInfo {
  url: string;
  /** PEM CA of the broker's listener. */
  ca: string;
  sessionToken: string;
  kubeconfig: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const { values } = parseArgs({ options: { 'audit-spool': { type: 'boolean', default: false } }, strict: true });
const upstream = { url: required('BENCH_UPSTREAM_URL'), ca: await readFile(required('BENCH_UPSTREAM_CA_FILE'), 'utf8'), token: required('BENCH_UPSTREAM_TOKEN') };
const broker = await startBenchBroker({ upstream, policyEnv: process.env, auditSpool: values['audit-spool'] });
const info: BrokerProcessInfo = { url: broker.url, ca: broker.ca, sessionToken: broker.sessionToken, kubeconfig: broker.kubeconfig };
await announceReady(info, () => broker.close());
