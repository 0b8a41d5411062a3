/**
 * The SQLite policy store under real process death: a child process writes through the store
 * and acknowledges each call only after it returned; the test SIGKILLs it mid-stream and checks
 * that every acknowledged write is there and the file is consistent. A second scenario races two
 * processes revoking the same grants, which only BEGIN IMMEDIATE + the busy timeout make safe.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '../../../src/policy/store/sqlite.js';
import type { Grant } from '../../../src/policy/types.js';

const root = resolve(import.meta.dirname, '../../..');
const storeModule = pathToFileURL(join(root, 'src/policy/store/sqlite.ts')).href;

/** The child: `write FILE PREFIX` writes until killed; `race FILE N` revokes g0..g(N-1) after "go". */
const childSource = `
import { createInterface } from 'node:readline';
import { openSqliteStore } from ${JSON.stringify(storeModule)};

const [mode, file, arg] = process.argv.slice(2);
const store = openSqliteStore(file);
const ack = (line) => process.stdout.write(line + '\\n');
const principal = { issuer: 'https://idp.test', subject: 'sub-alice', name: 'alice', type: 'human', groups: ['sre'], claims: {} };
const grant = (id) => ({ id, state: 'active', principal, cluster: 'sim', template: 'read-only', clusterRole: 'view',
  namespaces: ['*'], ttlMs: 60000, breakGlass: false, createdAt: Date.now(), expiresAt: Date.now() + 60000, revision: 0 });
const event = (id) => ({ id, time: new Date().toISOString(), principal: 'alice', verb: 'get', resource: 'pods',
  event: { apiVersion: 'audit.k8s.io/v1', kind: 'Event', auditID: id, padding: 'x'.repeat(2000) } });

if (mode === 'write') {
  for (let i = 0; ; i++) {
    const id = arg + i;
    await store.createGrant(grant(id));
    ack('grant ' + id);
    await store.ingestAuditEvents([event(id + '-a'), event(id + '-b'), event(id + '-c')]);
    ack('audit ' + id);
    if (i % 2 === 1 && await store.transitionGrant(arg + (i - 1), ['active'], { state: 'revoked', endedBy: 'writer' })) {
      ack('revoke ' + arg + (i - 1));
    }
  }
} else {
  ack('ready');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break;
  process.stdin.destroy();
  for (let i = 0; i < Number(arg); i++) {
    if (await store.transitionGrant('g' + i, ['active'], { state: 'revoked', endedBy: String(process.pid) })) ack('won g' + i);
  }
  await store.close();
  ack('done');
}
`;

interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves when `predicate` holds for the lines so far. */
  until: (predicate: (lines: string[]) => boolean) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every child started, so none outlives a failed test. */
const children = new Set<ChildProcessWithoutNullStreams>();

function startChild(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const lines: string[] = [];
  const waiters: { predicate: (lines: string[]) => boolean; resolve: () => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.predicate(lines))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters) w.resolve();
      done({ code, signal });
    });
  });
  const until = (predicate: (lines: string[]) => boolean) =>
    new Promise<void>((done, fail) => {
      if (predicate(lines)) return done();
      waiters.push({ predicate, resolve: () => (predicate(lines) ? done() : fail(new Error(`child exited early: ${stderr}`))) });
    });
  return { process: child, lines, until, exited };
}

function integrity(file: string): { check: unknown; foreignKeys: unknown[] } {
  const db = new DatabaseSync(file);
  try {
    return { check: db.prepare('PRAGMA integrity_check').get(), foreignKeys: db.prepare('PRAGMA foreign_key_check').all() };
  } finally {
    db.close();
  }
}

describe('policy store durability', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kgate-durability-'));
    script = join(dir, 'writer.mts');
    writeFileSync(script, childSource);
  });
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('every write acknowledged before kill -9 is there after reopening, and the file is consistent', async () => {
    const file = join(dir, 'killed.db');
    const acked: string[] = [];
    // Three writers in turn on one file, each killed at a different depth, each reopening what
    // the previous one left.
    for (const [round, stopAfter] of [[0, 40], [1, 150], [2, 301]] as const) {
      const child = startChild(script, ['write', file, `r${round}-`]);
      await child.until((lines) => lines.length >= stopAfter);
      child.process.kill('SIGKILL');
      expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
      acked.push(...child.lines);
    }
    expect(integrity(file)).toEqual({ check: { integrity_check: 'ok' }, foreignKeys: [] });

    const store = openSqliteStore(file);
    try {
      const grants = new Map<string, Grant>();
      let cursor: string | undefined;
      do {
        const page = await store.listGrants({ limit: 1000, cursor });
        for (const g of page.items) grants.set(g.id, g);
        cursor = page.nextCursor;
      } while (cursor);
      const ids = (kind: string) => acked.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1));
      expect(ids('grant').length).toBeGreaterThan(100);
      expect(ids('revoke').length).toBeGreaterThan(20);
      for (const id of ids('grant')) expect(grants.get(id)?.id).toBe(id);
      for (const id of ids('revoke')) expect(grants.get(id)).toMatchObject({ state: 'revoked', endedBy: 'writer', revision: 2 });

      const events = new Set<string>();
      cursor = undefined;
      do {
        const page = await store.queryAuditEvents({ limit: 1000, cursor });
        for (const e of page.items) events.add(e.id);
        cursor = page.nextCursor;
      } while (cursor);
      for (const id of ids('audit')) for (const suffix of ['a', 'b', 'c']) expect(events.has(`${id}-${suffix}`)).toBe(true);
      // A batch is one transaction: never a part of one.
      for (const g of grants.keys()) expect([0, 3]).toContain(['a', 'b', 'c'].filter((s) => events.has(`${g}-${s}`)).length);
      // Every grant and every revoke left exactly one change in the feed.
      const revoked = [...grants.values()].filter((g) => g.state === 'revoked').length;
      expect(await store.currentSeq()).toBe(grants.size + revoked);
    } finally {
      await store.close();
    }
  }, 30_000);

  test('two processes revoking the same grants: each grant is revoked by exactly one', async () => {
    const file = join(dir, 'race.db');
    const count = 150;
    const setup = openSqliteStore(file);
    const principal = { issuer: 'https://idp.test', subject: 'sub-alice', name: 'alice', type: 'human' as const, groups: [], claims: {} };
    for (let i = 0; i < count; i++) {
      await setup.createGrant({ id: `g${i}`, state: 'active', principal, cluster: 'sim', template: 't', clusterRole: 'view', namespaces: ['*'], ttlMs: 1, breakGlass: false, createdAt: i, revision: 0 });
    }
    await setup.close();

    const racers = [startChild(script, ['race', file, String(count)]), startChild(script, ['race', file, String(count)])];
    await Promise.all(racers.map((r) => r.until((lines) => lines.includes('ready'))));
    for (const r of racers) r.process.stdin.end('go\n');
    await Promise.all(racers.map((r) => r.until((lines) => lines.includes('done'))));
    await Promise.all(racers.map((r) => r.exited));

    const wins = racers.map((r) => r.lines.filter((l) => l.startsWith('won ')).map((l) => l.slice(4)));
    expect(wins[0]!.length + wins[1]!.length).toBe(count);
    expect(new Set([...wins[0]!, ...wins[1]!]).size).toBe(count);

    const store = openSqliteStore(file);
    try {
      const pids = racers.map((r) => String(r.process.pid));
      for (let i = 0; i < count; i++) {
        const g = (await store.getGrant(`g${i}`))!;
        expect(g).toMatchObject({ state: 'revoked', revision: 2 });
        expect(wins[pids.indexOf(g.endedBy!)]).toContain(`g${i}`);
      }
      expect(await store.currentSeq()).toBe(count * 2);
    } finally {
      await store.close();
    }
    expect(integrity(file).check).toEqual({ integrity_check: 'ok' });
  }, 30_000);
});
