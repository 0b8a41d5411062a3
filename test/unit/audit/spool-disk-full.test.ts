/**
 * Audit writes on a disk that refuses them, made real with a file-size limit on a child process
 * (`ulimit -S -f`, lifted again with prlimit): the spool and the policy store report the error
 * the disk gave (a failed COMMIT's ROLLBACK must not replace it with "no transaction is active"),
 * the spool remembers the failure until a probe write works, and both write again once the limit
 * is lifted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { scratchDir } from '../../support/scratch.js';

const WRITER = join(import.meta.dirname, '../../support/write-under-limit.ts');

interface Outcome {
  ok: boolean;
  name?: string;
  code?: string;
  message?: string;
}

/** Runs the writer under a file-size limit of `blocks` × 512 bytes (dash's unit), lifts it once it reports, returns both reports. */
async function underLimit(kind: 'spool' | 'store', blocks: number): Promise<{ limited: { written: number; failed?: Outcome; failure?: string; probe: Outcome }; lifted: { probe: Outcome; failure?: string; write: Outcome } }> {
  const path = join(scratchDir('kgate-disk-full-'), `${kind}.db`);
  const child = spawn('sh', ['-c', `ulimit -S -f ${blocks}; exec "${process.execPath}" --import tsx "${WRITER}" ${kind} "${path}"`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const reports: Record<string, unknown> = {};
  const done = new Promise<void>((resolve, reject) => {
    child.on('close', () => (reports.lifted ? resolve() : reject(new Error(`the writer ended early:\n${out}\n${err}`))));
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of out.split('\n')) {
      const match = /^(limited|lifted) (.*)$/.exec(line);
      if (!match || reports[match[1]!]) continue;
      reports[match[1]!] = JSON.parse(match[2]!);
      if (match[1] === 'limited') {
        const lift = spawn('prlimit', ['--pid', String(child.pid), '--fsize=unlimited:']);
        lift.on('close', () => child.stdin.end('go\n'));
      }
    }
  });
  await done;
  return reports as Awaited<ReturnType<typeof underLimit>>;
}

test('the spool reports the disk\'s error, remembers it until a probe works, and writes again once it can', async () => {
  const { limited, lifted } = await underLimit('spool', 128);
  expect(limited.written).toBeGreaterThan(0);
  expect(limited.failed).toEqual({ ok: false, name: 'KgateError', code: 'KGATE_AUDIT_SPOOL_WRITE', message: 'The audit spool could not commit an audit event: disk I/O error' });
  expect(limited.failure).toBe(limited.failed!.message);
  expect(limited.probe).toEqual({ ok: false, name: 'KgateError', code: 'KGATE_AUDIT_SPOOL_WRITE', message: 'The audit spool could not write: disk I/O error' });
  expect(lifted).toEqual({ probe: { ok: true }, write: { ok: true } });
}, 30_000);

test('the policy store reports the disk\'s error on ingest and on a probe write, and writes again once it can', async () => {
  // The store's schema alone needs a few hundred KiB of WAL.
  const { limited, lifted } = await underLimit('store', 1024);
  expect(limited.written).toBeGreaterThan(0);
  expect(limited.failed).toMatchObject({ ok: false, message: 'disk I/O error' });
  expect(limited.probe).toMatchObject({ ok: false, message: 'disk I/O error' });
  expect(lifted).toEqual({ probe: { ok: true }, write: { ok: true } });
}, 30_000);
