/**
 * Approvals and their votes in SQLite; a vote and the state it settles commit together. A request
 * approval's exact held request lives in `approval_details` while the approval is pending, and is
 * deleted in the same transaction that decides or expires it.
 */
import type { HeldRequestDetail } from '../../held-request.js';
import type { Approval, ApprovalVote } from '../../types.js';
import { principalId } from '../../types.js';
import { DuplicateVoteError, StoreError } from '../errors.js';
import { tallyVotes } from '../tally.js';
import type { ApprovalFilter, ApprovalState, VoteOptions } from '../types.js';
import type { Params, Row, SqliteDatabase } from './database.js';
import { SqliteCode, sqliteCode } from './database.js';
import { principalJson } from './principal.js';
import { defined, integer, json, optionalInteger, optionalJson, optionalText, text } from './row.js';

const COLUMNS = 'id, kind, state, requester, cluster, rule, grant_id, request, created_at, expires_at, revision, consumed_at';
const SELECT_ONE = `SELECT ${COLUMNS} FROM approvals WHERE id = :id`;
const SELECT_VOTES = 'SELECT approver, decision, reason, at FROM approval_votes WHERE approval_id = :id ORDER BY vote_no';
const SET_STATE = 'UPDATE approvals SET state = :state, revision = revision + 1 WHERE id = :id';
const DROP_DETAIL = 'DELETE FROM approval_details WHERE approval_id = :id';

function voteFromRow(row: Row): ApprovalVote {
  return defined<ApprovalVote>({
    approver: json(row, 'approver'),
    decision: text(row, 'decision') as ApprovalVote['decision'],
    reason: optionalText(row, 'reason'),
    at: integer(row, 'at'),
  });
}

function fromRow(db: SqliteDatabase, row: Row): Approval {
  const id = text(row, 'id');
  return defined<Approval>({
    id,
    kind: text(row, 'kind') as Approval['kind'],
    state: text(row, 'state') as ApprovalState,
    requester: json(row, 'requester'),
    cluster: text(row, 'cluster'),
    rule: json(row, 'rule'),
    grantId: optionalText(row, 'grant_id'),
    request: optionalJson(row, 'request'),
    votes: db.all(SELECT_VOTES, { id }).map(voteFromRow),
    createdAt: integer(row, 'created_at'),
    expiresAt: integer(row, 'expires_at'),
    revision: integer(row, 'revision'),
    consumedAt: optionalInteger(row, 'consumed_at'),
  });
}

function load(db: SqliteDatabase, id: string): Approval | undefined {
  const row = db.get(SELECT_ONE, { id });
  return row && fromRow(db, row);
}

export function createApproval(db: SqliteDatabase, a: Approval, detail?: HeldRequestDetail): Approval {
  if (a.votes.length > 0) throw new StoreError('KGATE_STORE_INVALID', `approval ${a.id} must be created without votes`);
  if (detail && (a.kind !== 'request' || a.state !== 'pending')) throw new StoreError('KGATE_STORE_INVALID', `approval ${a.id}: only a pending request approval keeps its held request`);
  return db.write(() => {
    try {
      db.run(
        `INSERT INTO approvals (id, kind, state, requester_id, requester, cluster, rule, grant_id, request, created_at, expires_at, revision)
         VALUES (:id, :kind, :state, :requester_id, :requester, :cluster, :rule, :grant_id, :request, :created_at, :expires_at, 1)`,
        {
          id: a.id,
          kind: a.kind,
          state: a.state,
          requester_id: principalId(a.requester),
          requester: principalJson(a.requester),
          cluster: a.cluster,
          rule: JSON.stringify(a.rule),
          grant_id: a.grantId ?? null,
          request: a.request === undefined ? null : JSON.stringify(a.request),
          created_at: a.createdAt,
          expires_at: a.expiresAt,
        },
      );
    } catch (error) {
      const code = sqliteCode(error);
      if (code === SqliteCode.PrimaryKey) throw new StoreError('KGATE_STORE_CONFLICT', `approval ${a.id} already exists`);
      if (code === SqliteCode.ForeignKey) throw new StoreError('KGATE_STORE_INVALID', `approval ${a.id} names grant ${a.grantId ?? ''}, which does not exist`);
      throw error;
    }
    if (detail) db.run('INSERT INTO approval_details (approval_id, detail) VALUES (:id, :detail)', { id: a.id, detail: JSON.stringify(detail) });
    db.recordChange('approval', a.id);
    return load(db, a.id)!;
  });
}

/** The held request of a pending request approval; undefined once it was decided or expired. */
export function getApprovalDetail(db: SqliteDatabase, id: string): HeldRequestDetail | undefined {
  const row = db.get("SELECT d.detail FROM approval_details d JOIN approvals a ON a.id = d.approval_id WHERE d.approval_id = :id AND a.state = 'pending'", { id });
  return row ? json<HeldRequestDetail>(row, 'detail') : undefined;
}

export function getApproval(db: SqliteDatabase, id: string): Approval | undefined {
  return load(db, id);
}

export function listApprovals(db: SqliteDatabase, filter: ApprovalFilter): Approval[] {
  const where: string[] = [];
  const params: Params = {};
  const states = filter.state === undefined ? [] : ([] as ApprovalState[]).concat(filter.state);
  if (states.length > 0) {
    where.push(`state IN (${states.map((_, i) => `:state${i}`).join(', ')})`);
    states.forEach((s, i) => (params[`state${i}`] = s));
  }
  for (const [column, value] of [['kind', filter.kind], ['cluster', filter.cluster], ['grant_id', filter.grant]] as const) {
    if (value === undefined) continue;
    where.push(`${column} = :${column}`);
    params[column] = value;
  }
  const sql = `SELECT ${COLUMNS} FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC`;
  return db.all(sql, params).map((row) => fromRow(db, row));
}

type VoteOutcome = { approval: Approval } | { closed: ApprovalState };

export function addVote(db: SqliteDatabase, approvalId: string, vote: ApprovalVote, options: VoteOptions): Approval {
  if (!Number.isInteger(options.requiredCount) || options.requiredCount < 1) {
    throw new StoreError('KGATE_STORE_INVALID', `requiredCount must be a whole number of at least 1, not ${String(options.requiredCount)}`);
  }
  // An overdue approval is expired and that expiry committed, then the vote refused: the
  // refusal must not roll back the expiry.
  const outcome = db.write((): VoteOutcome => {
    const current = load(db, approvalId);
    if (!current) throw new StoreError('KGATE_STORE_NOT_FOUND', `approval ${approvalId} does not exist`);
    if (current.state === 'pending' && current.expiresAt <= options.now) {
      db.run(SET_STATE, { id: approvalId, state: 'expired' });
      db.run(DROP_DETAIL, { id: approvalId });
      db.recordChange('approval', approvalId);
      return { closed: 'expired' };
    }
    if (current.state !== 'pending') return { closed: current.state };
    insertVote(db, approvalId, vote);
    const votes = [...current.votes, vote];
    const state = tallyVotes(votes, options.requiredCount);
    db.run(SET_STATE, { id: approvalId, state });
    if (state !== 'pending') db.run(DROP_DETAIL, { id: approvalId });
    db.recordChange('approval', approvalId);
    return { approval: load(db, approvalId)! };
  });
  if ('closed' in outcome) {
    throw new StoreError('KGATE_STORE_APPROVAL_CLOSED', `approval ${approvalId} is ${outcome.closed} and takes no more votes`);
  }
  return outcome.approval;
}

function insertVote(db: SqliteDatabase, approvalId: string, vote: ApprovalVote): void {
  const approver = principalId(vote.approver);
  try {
    db.run(
      `INSERT INTO approval_votes (approval_id, approver_id, approver, decision, reason, at)
       VALUES (:approval_id, :approver_id, :approver, :decision, :reason, :at)`,
      { approval_id: approvalId, approver_id: approver, approver: principalJson(vote.approver), decision: vote.decision, reason: vote.reason ?? null, at: vote.at },
    );
  } catch (error) {
    if (sqliteCode(error) === SqliteCode.Unique) throw new DuplicateVoteError(approvalId, approver);
    throw error;
  }
}

export function expireApprovals(db: SqliteDatabase, now: number): Approval[] {
  return db.write(() => {
    const due = db.all("SELECT id FROM approvals WHERE state = 'pending' AND expires_at <= :now ORDER BY expires_at, id", { now });
    return due.map((row) => {
      const id = text(row, 'id');
      db.run(SET_STATE, { id, state: 'expired' });
      db.run(DROP_DETAIL, { id });
      db.recordChange('approval', id);
      return load(db, id)!;
    });
  });
}

export function consumeApproval(db: SqliteDatabase, id: string, at: number): boolean {
  return db.write(() => {
    const changed = db.run("UPDATE approvals SET consumed_at = :at, revision = revision + 1 WHERE id = :id AND state = 'approved' AND consumed_at IS NULL", { id, at });
    if (changed) db.recordChange('approval', id);
    return changed === 1;
  });
}
