/**
 * A writer that runs under a file-size limit (`ulimit -S -f`), so its audit writes fail as on a
 * full disk: argv[2] is `spool` (the broker's audit spool) or `store` (the policy store the
 * gateway writes into), argv[3] the database path. It writes events until one fails, probes, then
 * prints `limited <json>` and waits for a line on stdin (the test lifts the limit with prlimit),
 * probes and writes again and prints `lifted <json>`. Every outcome is the error as thrown.
 */
import { createInterface } from 'node:readline';
import { buildAuditEvent } from '../../src/audit/event.js';
import { openSpool } from '../../src/audit/spool.js';
import { openSqliteStore } from '../../src/policy/store/sqlite.js';

const [kind, path] = process.argv.slice(2) as ['spool' | 'store', string];

function event(i: number) {
  return buildAuditEvent({
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/apps/configmaps?i=${i}&pad=${'x'.repeat(1500)}`, verb: 'create', user: { username: 'u' },
    requestReceivedAt: Date.UTC(2026, 0, 1) + i, stageAt: Date.UTC(2026, 0, 1) + i,
    kgate: { principal: 'idp#u', principalType: 'workload', issuer: 'idp', decision: 'allow' },
  });
}

interface Writer {
  write(i: number): Promise<unknown>;
  probe(): Promise<void>;
  failure(): string | undefined;
}

function writer(): Writer {
  if (kind === 'spool') {
    const spool = openSpool(path, { maxBytes: 1 << 30, maxEvents: 1_000_000 });
    return { write: (i) => spool.append(event(i)), probe: () => spool.probe(), failure: () => spool.failure()?.message };
  }
  const store = openSqliteStore(path);
  return {
    write: (i) => store.ingestAuditEvents([{ id: `e${i}`, time: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), event: event(i) }]),
    probe: () => store.probeWrite(),
    failure: () => undefined,
  };
}

const outcome = async (step: () => Promise<unknown>) => {
  try {
    await step();
    return { ok: true };
  } catch (error) {
    return { ok: false, name: (error as Error).name, code: (error as { code?: string }).code, message: (error as Error).message };
  }
};

const w = writer();
let written = 0;
let failed: Awaited<ReturnType<typeof outcome>> | undefined;
for (let i = 0; i < 10_000 && !failed; i += 1) {
  const result = await outcome(() => w.write(i));
  if (result.ok) written += 1;
  else failed = result;
}
process.stdout.write(`limited ${JSON.stringify({ written, failed, failure: w.failure(), probe: await outcome(() => w.probe()) })}\n`);
const lines = createInterface({ input: process.stdin });
for await (const _ of lines) break;
const probe = await outcome(() => w.probe());
const failure = w.failure();
const after = await outcome(() => w.write(1_000_000));
process.stdout.write(`lifted ${JSON.stringify({ probe, failure, write: after })}\n`);
process.exit(0);
