import { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../../../src/policy/store/errors.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import { openConnection } from '../../../../src/policy/store/sqlite/connection.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../../../src/policy/store/sqlite/migrations.js';
import { grant, tempDir } from './fixtures.js';

const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function migrationRows(file: string): { version: number; name: string }[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT version, name FROM kgate_migrations ORDER BY version').all() as { version: number; name: string }[];
  } finally {
    db.close();
  }
}

describe('opening and migrating the SQLite store', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.dispose();
  });

  test('a new file gets every migration once; reopening keeps the data and applies nothing again', async () => {
    const first = openSqliteStore(dir.file());
    await first.createGrant(grant('g1'));
    await first.close();
    expect(migrationRows(dir.file()).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const second = openSqliteStore(dir.file());
    expect((await second.getGrant('g1'))!.id).toBe('g1');
    await second.close();
    expect(migrationRows(dir.file())).toHaveLength(MIGRATIONS.length);
  });

  test('a file is opened durable: WAL, synchronous FULL, foreign keys, a busy timeout', () => {
    const db = openConnection(dir.file(), { busyTimeoutMs: 1234 });
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
    expect(db.prepare('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
    expect(db.prepare('PRAGMA busy_timeout').get()).toEqual({ timeout: 1234 });
    db.close();
  });

  test('a database from a newer kgate is refused with a clear error and left untouched', async () => {
    const store = openSqliteStore(dir.file());
    await store.createGrant(grant('g1'));
    await store.close();
    const db = new DatabaseSync(dir.file());
    db.prepare('INSERT INTO kgate_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(latest + 7, 'from the future', 0);
    db.close();

    let error: unknown;
    try {
      openSqliteStore(dir.file());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'KGATE_STORE_SCHEMA_NEWER' });
    expect((error as Error).message).toBe(`the policy store ${dir.file()} has schema version ${latest + 7}, newer than the ${latest} this kgate knows`);
    expect(migrationRows(dir.file()).map((r) => r.version)).toEqual([...MIGRATIONS.map((m) => m.version), latest + 7]);
  });

  test('a later migration is applied to an existing database on its own', async () => {
    await openSqliteStore(dir.file()).close();
    const next = { version: latest + 1, name: 'grant labels', sql: 'ALTER TABLE grants ADD COLUMN labels TEXT' };
    const db = new DatabaseSync(dir.file());
    expect(migrate(db, { now: 1, location: 'test', migrations: [...MIGRATIONS, next] })).toEqual([latest + 1]);
    expect(migrate(db, { now: 2, location: 'test', migrations: [...MIGRATIONS, next] })).toEqual([]);
    expect(schemaVersion(db)).toBe(latest + 1);
    expect(db.prepare("SELECT count(*) AS n FROM pragma_table_info('grants') WHERE name = 'labels'").get()).toEqual({ n: 1 });
    db.close();
  });

  test('a failing migration rolls back entirely', () => {
    const db = new DatabaseSync(':memory:');
    const broken = [...MIGRATIONS, { version: latest + 1, name: 'broken', sql: 'CREATE TABLE extra (a INTEGER); SELECT * FROM no_such_table' }];
    expect(() => migrate(db, { now: 1, location: ':memory:', migrations: broken })).toThrow(/no_such_table/);
    expect(db.isTransaction).toBe(false);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('grants', 'extra', 'kgate_migrations')").get()).toEqual({ n: 0 });
    db.close();
  });

  test('a closed store refuses further calls with a typed error; closing twice is fine', async () => {
    const store = openSqliteStore(':memory:');
    await store.close();
    await store.close();
    await expect(store.getGrant('g1')).rejects.toMatchObject({ code: 'KGATE_STORE_CLOSED' });
    await expect(store.createGrant(grant('g1'))).rejects.toMatchObject({ code: 'KGATE_STORE_CLOSED' });
  });
});
