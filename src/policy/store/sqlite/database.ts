/**
 * One SQLite connection as the store uses it: prepared statements cached by their SQL, writes in
 * `BEGIN IMMEDIATE` transactions (the write lock is taken up front, so two writers queue on the
 * busy timeout instead of failing half-way), and the change feed every write appends to.
 */
import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import { StoreError } from '../errors.js';

export type Row = Record<string, SQLOutputValue>;
export type Params = Record<string, SQLInputValue>;

/** SQLite extended result codes the store turns into its own errors. */
export const SqliteCode = {
  ForeignKey: 787,
  PrimaryKey: 1555,
  Unique: 2067,
} as const;

/** The extended result code of a node:sqlite error, if it is one. */
export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code : undefined;
}

export class SqliteDatabase {
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    private readonly db: DatabaseSync,
    readonly now: () => number,
  ) {}

  /** The cached prepared statement for `sql`. */
  statement(sql: string): StatementSync {
    if (!this.db.isOpen) throw new StoreError('KGATE_STORE_CLOSED', 'the policy store is closed');
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  get(sql: string, params: Params = {}): Row | undefined {
    return this.statement(sql).get(params);
  }

  all(sql: string, params: Params = {}): Row[] {
    return this.statement(sql).all(params);
  }

  run(sql: string, params: Params = {}): number {
    return Number(this.statement(sql).run(params).changes);
  }

  /** Runs `work` in a write transaction: committed when it returns, rolled back when it throws. */
  write<T>(work: () => T): T {
    this.statement('BEGIN IMMEDIATE').run();
    try {
      const result = work();
      this.statement('COMMIT').run();
      return result;
    } catch (error) {
      // A failed COMMIT (full disk, I/O error) may have ended the transaction already; a ROLLBACK
      // that fails too must not replace the error that says what went wrong.
      try {
        if (this.db.isTransaction) this.statement('ROLLBACK').run();
      } catch {
        // The first error is the one reported.
      }
      throw error;
    }
  }

  /** Appends to the change feed; call inside `write`. */
  recordChange(kind: 'grant' | 'approval', id: string): number {
    const row = this.get('INSERT INTO changes (kind, entity_id, at) VALUES (:kind, :id, :at) RETURNING seq', { kind, id, at: this.now() });
    return Number(row!.seq);
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.statements.clear();
    this.db.close();
  }
}
