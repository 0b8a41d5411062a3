import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../../../src/audit/chain.js';
import { openSpool, type AuditSpool } from '../../../../src/audit/spool.js';
import type { PipelineAuditRecord } from '../../../../src/broker/pipeline/types.js';
import { createAuditSink } from '../../../../src/broker/runtime/audit-sink.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';

const principal = { id: 'https://idp#ci', issuer: 'https://idp', subject: 'ci', name: 'ci-deployer', type: 'workload' as const, groups: ['ci'] };
const detectors = compileDetectors([...DETECTOR_NAMES]);
let dir: string;
let spool: AuditSpool;

async function open(maxEvents: number): Promise<AuditSpool> {
  dir = await mkdtemp(join(tmpdir(), 'kgate-sink-'));
  spool = openSpool(join(dir, 'spool.db'), { maxBytes: 1 << 20, maxEvents });
  return spool;
}

afterEach(async () => {
  await spool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function record(overrides: Partial<PipelineAuditRecord> = {}): PipelineAuditRecord {
  return {
    auditId: `a-${Math.random()}`, method: 'GET', decision: 'allow', outcome: 'forwarded', statusCode: 200, maskedCount: 2,
    canonicalUrl: '/api/v1/namespaces/prod/secrets', startedAt: new Date(), endedAt: new Date(),
    info: { isResourceRequest: true, path: '/api/v1/namespaces/prod/secrets', verb: 'list', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'prod', resource: 'secrets', subresource: '', name: '', parts: ['secrets'], fieldSelector: '', labelSelector: '' } as PipelineAuditRecord['info'],
    ...overrides,
  };
}

describe('createAuditSink', () => {
  it('ends the chain once with an end marker, so a lost tail shows as an open session', async () => {
    const events: Parameters<AuditSpool['append']>[0][] = [];
    const store = { append: async (e: (typeof events)[number]) => void events.push(e), stats: () => ({ pending: 0, bytes: 0, maxBytes: 1, maxEvents: 1 }), failure: () => undefined, probe: async () => undefined };
    const sink = createAuditSink({ spool: store, session: 's-end', principal, cluster: 'prod-eks', grant: 'g1', detectors, log: () => undefined });
    await sink.complete(record());
    await sink.complete(record());
    await Promise.all([sink.end('the run ended'), sink.end('again')]);
    expect(events).toHaveLength(3);
    expect(events[2]!.verb).toBe('session-end');
    expect(events[2]!.annotations).toMatchObject({ 'kgate.dev/chain-end': 'true', 'kgate.dev/session-end-reason': 'the run ended', 'kgate.dev/grant': 'g1' });
    expect(verifyChain(events)).toMatchObject({ ok: true, sessions: [{ session: 's-end', count: 3, ended: true }] });
    // The last request and the marker lost: the chain still verifies, but no longer as ended.
    expect(verifyChain(events.slice(0, 1)).sessions).toEqual([expect.objectContaining({ ended: false })]);
  });

  it('spools sealed events in one unbroken chain, ResponseStarted included', async () => {
    const sink = createAuditSink({ spool: await open(100), session: 's-1', principal, cluster: 'prod-eks', grant: 'g1', detectors, log: () => undefined });
    const watch = record({ auditId: 'w-1' });
    sink.started(watch);
    await sink.complete(watch);
    await sink.complete(record({ decision: 'deny', outcome: 'denied', statusCode: 403, rule: 'no-namespace-deletion', maskedCount: 0 }));
    const events = spool.pending(10).map((e) => e.event);
    expect(events.map((e) => e.stage)).toEqual(['ResponseStarted', 'ResponseComplete', 'ResponseComplete']);
    expect(verifyChain(events)).toMatchObject({ ok: true, problems: [] });
    expect(events[1]!.annotations).toMatchObject({ 'kgate.dev/masked-fields': '2', 'kgate.dev/grant': 'g1', 'kgate.dev/cluster': 'prod-eks', 'kgate.dev/principal': 'https://idp#ci' });
    expect(events[2]!.annotations).toMatchObject({ 'kgate.dev/decision': 'deny', 'kgate.dev/policy-rule': 'no-namespace-deletion' });
  });

  it('records an approved request as allowed with its approval, and masks secrets typed into the URI', async () => {
    const sink = createAuditSink({ spool: await open(100), session: 's-2', principal, cluster: 'c', detectors, log: () => undefined });
    await sink.complete(record({ decision: 'approve', approvalId: 'ap-1', canonicalUrl: '/api/v1/namespaces/prod/pods/web/exec?command=echo&command=AKIAIOSFODNN7EXAMPLE', statusCode: 101 }));
    const [event] = spool.pending(1).map((e) => e.event);
    expect(event!.annotations).toMatchObject({ 'kgate.dev/decision': 'allow', 'kgate.dev/approval': 'ap-1' });
    expect(event!.requestURI).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses new requests with a 503 Status once the spool is full', async () => {
    const sink = createAuditSink({ spool: await open(2), session: 's-3', principal, cluster: 'c', detectors, log: () => undefined });
    expect(await sink.admit()).toBeUndefined();
    await sink.complete(record());
    await sink.complete(record());
    const refusal = await sink.admit();
    expect(refusal?.code).toBe(503);
    expect(JSON.parse(refusal!.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
    expect(refusal!.body).toContain('audit spool is full');
  });
});

describe('when the trail cannot be written', () => {
  /**
   * A target whose disk refuses writes until `heal()`: the real spool under a file-size limit is
   * tested in spool-disk-full.test.ts; here only what the sink makes of such a target.
   */
  function failingTarget() {
    let broken: Error | undefined;
    let healed = false;
    const appended: string[] = [];
    let probes = 0;
    const refuse = () => {
      broken = new Error('The audit spool could not commit an audit event: disk I/O error');
      throw broken;
    };
    return {
      appended,
      get probes() {
        return probes;
      },
      heal: () => void (healed = true),
      target: {
        append: async (event: { auditID: string }) => {
          if (!healed) refuse();
          broken = undefined;
          appended.push(event.auditID);
        },
        stats: () => ({ pending: 0, bytes: 0, maxBytes: 1 << 20, maxEvents: 100 }),
        failure: () => broken,
        probe: async () => {
          probes += 1;
          if (!healed) refuse();
          broken = undefined;
        },
      },
    };
  }

  it('rejects the record, refuses later requests with a 503 that says why, and serves again once a probe write works', async () => {
    const disk = failingTarget();
    const logs: string[] = [];
    const sink = createAuditSink({ spool: disk.target, session: 's-5', principal, cluster: 'c', detectors, log: (line) => logs.push(line) });
    expect(await sink.admit()).toBeUndefined();
    await expect(sink.complete(record({ auditId: 'lost' }))).rejects.toThrow('disk I/O error');
    await expect(sink.started(record({ auditId: 'lost-watch' }))).rejects.toThrow('disk I/O error');
    expect(logs).toEqual(Array(2).fill('audit: an event could not be written (The audit spool could not commit an audit event: disk I/O error)'));

    for (let i = 0; i < 2; i++) {
      const refusal = await sink.admit();
      expect(refusal?.code).toBe(503);
      expect(JSON.parse(refusal!.body)).toMatchObject({
        kind: 'Status', reason: 'ServiceUnavailable',
        message: 'kgate cannot write its audit trail (The audit spool could not commit an audit event: disk I/O error); requests are refused until it can record them',
      });
    }
    expect(disk.probes).toBe(2);

    disk.heal();
    expect(await sink.admit()).toBeUndefined();
    expect(logs.at(-1)).toBe('audit: the trail can be written again; serving requests');
    // Once healthy, admitting costs no probe write.
    expect(await sink.admit()).toBeUndefined();
    expect(disk.probes).toBe(3);
    await sink.complete(record({ auditId: 'kept' }));
    expect(disk.appended).toEqual(['kept']);
  });
});

describe('port-forward sessions', () => {
  it('carry their ports and byte counts, and say the payload was not masked', async () => {
    const sink = createAuditSink({ spool: await open(100), session: 's-4', principal, cluster: 'c', detectors, log: () => undefined });
    const startedAt = new Date(Date.now() - 1500);
    await sink.complete(record({
      statusCode: 101, maskedCount: 0,
      portForward: { subresource: 'portforward', namespace: 'staging', pod: 'web', ports: [8080, 9090], protocol: 'v4.channel.k8s.io', startedAt, endedAt: new Date(startedAt.getTime() + 1500), bytesIn: 25, bytesOut: 40, masked: false, portErrors: [], closeCode: 1000 },
    }));
    const [event] = spool.pending(1).map((e) => e.event);
    expect(event!.annotations).toMatchObject({
      'kgate.dev/portforward-ports': '8080,9090', 'kgate.dev/portforward-bytes-in': '25', 'kgate.dev/portforward-bytes-out': '40',
      'kgate.dev/portforward-masked': 'false', 'kgate.dev/portforward-duration-ms': '1500',
    });
  });
});
