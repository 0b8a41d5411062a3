/**
 * The policy service's storage contract. One interface, so the embedded SQLite store
 * (./sqlite.ts) and a PostgreSQL store can be swapped without the service noticing.
 *
 * Every method is asynchronous even though SQLite answers synchronously: a networked database
 * cannot, and callers must not come to rely on a write having happened before they await it.
 *
 * The store never sees a token: grants, approvals and audit events carry identities and decisions,
 * never credentials. The one exception to "no secret values" is the exact request a pending request
 * approval holds (it may carry a secret the requester typed), kept apart and deleted when decided.
 */
import type { HeldRequestDetail } from '../held-request.js';
import type { Approval, ApprovalVote, Grant, GrantState } from '../types.js';

export type ApprovalState = Approval['state'];
export type ApprovalKind = Approval['kind'];

/** The fields a transition may change; `id` and `revision` belong to the store. */
export type GrantPatch = Partial<Omit<Grant, 'id' | 'revision'>>;

/** One page of a keyset-paginated listing. `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface GrantFilter {
  /** `principalId(principal)` of the grant's owner. */
  principal?: string;
  /** Any of these states; all states when absent or empty. */
  state?: GrantState[];
  cluster?: string;
  /** Page size, 1–1000; default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ApprovalFilter {
  state?: ApprovalState | ApprovalState[];
  kind?: ApprovalKind;
  cluster?: string;
  /** Approvals opened for this grant. */
  grant?: string;
}

export interface VoteOptions {
  /** Distinct approving principals needed; the policy's `ApprovalRule.count` at vote time. */
  requiredCount: number;
  /** Epoch ms; an approval whose `expiresAt` is at or before this takes no more votes. */
  now: number;
}

/** One entry of the change feed: something about this grant or approval changed at `seq`. */
export interface ChangeEntry {
  seq: number;
  kind: 'grant' | 'approval';
  id: string;
}

/**
 * An audit event as the store keeps it: the filterable facts pulled out into columns, and the
 * whole `audit.k8s.io/v1` Event kept verbatim.
 */
export interface AuditEventRecord {
  /** The Event's `auditID`; ingest is idempotent on it. */
  id: string;
  /** RFC 3339 with up to nanosecond fractions and any offset; ordered to the microsecond. */
  time: string;
  principal?: string;
  grant?: string;
  cluster?: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  decision?: string;
  /** The `audit.k8s.io/v1` Event JSON. */
  event: unknown;
}

export interface IngestResult {
  inserted: number;
  /** Events already stored with the same canonical content, including repeats within the batch. */
  duplicates: number;
  /** Events whose id holds different content: kept aside as conflicts, the stored event unchanged. */
  conflicts: number;
}

/**
 * An event that arrived under an id the store already holds with different content. The first
 * event stays the one of record; every distinct later copy is kept here, so the trail shows that
 * someone tried to replace or pre-empt an event (`kgate audit verify` fails on it).
 */
export interface AuditConflictRecord {
  /** The contested id (the Event's `auditID`, with `.<stage>` for a ResponseStarted event). */
  id: string;
  /** The stored event's time, RFC 3339: conflicts are found by the time of the event they contest. */
  time: string;
  /** The broker session of the stored event (`kgate.dev/session`), when it has one. */
  session?: string;
  /** The session the rejected copy claims, when it differs or the stored event has none. */
  copySession?: string;
  /** The principal of the stored event. */
  principal?: string;
  /** The principal the rejected copy names (who sent it, for client ingest). */
  copyPrincipal?: string;
  grant?: string;
  cluster?: string;
  /** When the copy arrived, epoch ms. */
  receivedAt: number;
  /** The rejected copy, verbatim. */
  event: unknown;
}

/**
 * Conflict search: `session` and `principal` match either the stored event or the copy, the time
 * range applies to the stored event's time; newest first.
 */
export type AuditConflictQuery = Pick<AuditQuery, 'from' | 'to' | 'principal' | 'session' | 'limit' | 'cursor'>;

/**
 * Audit search. Every field narrows the result by exact match, except the time range:
 * `from` inclusive, `to` exclusive, both RFC 3339. Results are newest first, ordered by
 * (time, id) descending, so a page boundary never splits or repeats events that share a time.
 */
export interface AuditQuery {
  from?: string;
  to?: string;
  principal?: string;
  grant?: string;
  cluster?: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  decision?: string;
  /** The broker session (annotation `kgate.dev/session`) whose hash chain the event belongs to. */
  session?: string;
  /** Page size, 1–1000; default 100. */
  limit?: number;
  cursor?: string;
}

export interface RecordingInput {
  grant?: string;
  principal?: string;
  cluster?: string;
  /** e.g. `application/x-asciicast`. */
  contentType: string;
}

export interface RecordingMeta extends RecordingInput {
  id: string;
  size: number;
  /** Hex SHA-256 of the data, for integrity checks and idempotent re-uploads. */
  sha256: string;
  createdAt: number;
}

export interface Recording {
  meta: RecordingMeta;
  data: Buffer;
}

/**
 * A gateway credential as the store keeps it: who may use it, for which grant and cluster, and
 * until when. The bearer token itself is never stored, only its SHA-256 (`tokenSha256`).
 */
export interface GatewayCredentialRecord {
  id: string;
  tokenSha256: string;
  grantId: string;
  cluster: string;
  /** `principalId` of the grant's owner, the only one the gateway serves with it. */
  principal: string;
  /** `run`: one `kgate exec` / `kgate session`, revoked when it ends; `context`: a kubectl context's exec plugin. */
  purpose: 'run' | 'context';
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  revokedReason?: string;
}

/**
 * Storage for grants, approvals, the change feed, audit events and exec recordings.
 * Failures that a caller can act on are `StoreError`s (./errors.ts) with a stable code.
 */
export interface PolicyStore {
  /**
   * Stores a new grant at revision 1 (the given `revision` is ignored) and records a change.
   * Only the fields of `Grant` are kept; anything else on the object is dropped.
   * @returns the grant as stored.
   * @throws StoreError `KGATE_STORE_CONFLICT` when the id is taken.
   */
  createGrant(grant: Grant): Promise<Grant>;

  /** The grant with this id, or undefined. */
  getGrant(id: string): Promise<Grant | undefined>;

  /**
   * Grants matching every given filter, newest first by (createdAt, id).
   * @throws StoreError `KGATE_STORE_INVALID` for a malformed cursor or a limit outside 1–1000.
   */
  listGrants(filter?: GrantFilter): Promise<Page<Grant>>;

  /**
   * Compare-and-set: applies `patch` only if the grant's current state is one of `from`, bumps
   * its revision and records a change, all in one transaction. Of two concurrent transitions
   * from the same state (two revokes, an approval racing a revoke) exactly one wins.
   * A key present in `patch` with the value `undefined` clears that field.
   * @returns the updated grant, or undefined when the grant is missing or not in a `from` state.
   */
  transitionGrant(id: string, from: GrantState[], patch: GrantPatch): Promise<Grant | undefined>;

  /**
   * Every grant in state `active`, whatever its `expiresAt`: the set the cluster reconcile
   * must keep. Expire overdue grants first (see `grantsExpiringBefore`) to get the true set.
   */
  activeGrants(): Promise<Grant[]>;

  /** Active grants whose `expiresAt` is at or before `ts` (epoch ms), soonest first. */
  grantsExpiringBefore(ts: number): Promise<Grant[]>;

  /**
   * Stores a new approval, state as given (normally `pending`), at revision 1, with no votes,
   * and records a change. A grant approval's `grantId` must name a stored grant. A pending
   * request approval may keep `detail`, the exact request it holds, until it leaves `pending`.
   * @throws StoreError `KGATE_STORE_CONFLICT` when the id is taken, `KGATE_STORE_INVALID` when
   *   it already carries votes (votes only arrive through `addVote`), names an unknown grant, or
   *   has a detail without being a pending request approval.
   */
  createApproval(approval: Approval, detail?: HeldRequestDetail): Promise<Approval>;

  /** The approval with this id and its votes in the order cast, or undefined. */
  getApproval(id: string): Promise<Approval | undefined>;

  /**
   * The exact request a pending request approval holds; undefined for any other approval. It is
   * deleted in the transaction that decides or expires the approval (`addVote`, `expireApprovals`).
   */
  getApprovalDetail(id: string): Promise<HeldRequestDetail | undefined>;

  /** Approvals matching every given filter, newest first by (createdAt, id). */
  listApprovals(filter?: ApprovalFilter): Promise<Approval[]>;

  /**
   * Records one vote and settles the approval in a single transaction: `denied` on any deny
   * vote, `approved` once `requiredCount` distinct principals approved, else still `pending`.
   * Bumps the revision and records a change. Who may vote (groups, no self-approval) is the
   * caller's policy check, not the store's.
   * @returns the approval with its new state and all votes.
   * @throws DuplicateVoteError when this approver (by principalId) already voted;
   *   StoreError `KGATE_STORE_APPROVAL_CLOSED` when the approval is no longer pending (one
   *   found overdue at `now` is expired and committed as such before the error);
   *   `KGATE_STORE_NOT_FOUND` for an unknown id.
   */
  addVote(approvalId: string, vote: ApprovalVote, options: VoteOptions): Promise<Approval>;

  /**
   * Moves every pending approval whose `expiresAt` is at or before `now` to `expired`,
   * recording a change for each, in one transaction.
   * @returns the approvals that expired, so the caller can settle their grants.
   */
  expireApprovals(now: number): Promise<Approval[]>;

  /**
   * Changes after `seq`, oldest first, at most `limit` (default 1000). A grant or approval
   * changed several times appears once per change. Continue from the last entry's `seq`.
   */
  changesSince(seq: number, limit?: number): Promise<ChangeEntry[]>;

  /** The sequence number of the latest change; 0 when nothing changed yet. */
  currentSeq(): Promise<number>;

  /**
   * Stores a batch in one transaction. An event whose id is already stored with the same
   * canonical content is a duplicate and ignored, so a shipper may resend a batch after a lost
   * acknowledgement; one with different content is kept as a conflict (each distinct copy once)
   * and the stored event stays as it was.
   * @throws StoreError `KGATE_STORE_INVALID` (and stores nothing) when an event lacks an id or
   *   has a time that is not RFC 3339.
   */
  ingestAuditEvents(events: AuditEventRecord[]): Promise<IngestResult>;

  /**
   * Conflicting copies of stored audit events, newest first; see `AuditConflictQuery`.
   * @throws StoreError `KGATE_STORE_INVALID` for a malformed cursor or time, or a limit outside 1–1000.
   */
  queryAuditConflicts(query?: AuditConflictQuery): Promise<Page<AuditConflictRecord>>;

  /**
   * Commits a small write of the store's own, nothing of record, to learn whether the store can
   * write durably now (a full disk, a read-only volume); audit writers probe before serving again.
   * @throws the store's error when it cannot.
   */
  probeWrite(): Promise<void>;

  /**
   * Audit events matching `query`, newest first; see `AuditQuery`.
   * @throws StoreError `KGATE_STORE_INVALID` for a malformed cursor or time, or a limit outside 1–1000.
   */
  queryAuditEvents(query?: AuditQuery): Promise<Page<AuditEventRecord>>;

  /**
   * Stores an exec recording. Re-uploading identical data and metadata under the same id is a
   * no-op that returns the stored metadata.
   * @throws StoreError `KGATE_STORE_TOO_LARGE` above the store's size limit,
   *   `KGATE_STORE_CONFLICT` when the id holds different content.
   */
  putRecording(id: string, meta: RecordingInput, data: Buffer): Promise<RecordingMeta>;

  /** The recording and its metadata, or undefined. */
  getRecording(id: string): Promise<Recording | undefined>;

  /**
   * Stores a new gateway credential.
   * @throws StoreError `KGATE_STORE_CONFLICT` when the id or token digest is taken,
   *   `KGATE_STORE_INVALID` when it names an unknown grant.
   */
  createGatewayCredential(credential: GatewayCredentialRecord): Promise<GatewayCredentialRecord>;

  /** The credential whose token has this SHA-256 (hex), revoked or not, or undefined. */
  gatewayCredentialByToken(tokenSha256: string): Promise<GatewayCredentialRecord | undefined>;

  /** The credential with this id, or undefined. */
  getGatewayCredential(id: string): Promise<GatewayCredentialRecord | undefined>;

  /**
   * Revokes the credential `id`, or every credential of `grantId`, that is not revoked yet.
   * @returns the credentials revoked now.
   */
  revokeGatewayCredentials(which: { id: string } | { grantId: string }, at: number, reason: string): Promise<GatewayCredentialRecord[]>;

  /**
   * Marks an approved request approval as used, once: of two concurrent callers exactly one
   * gets true. False when it is not approved or was used before.
   */
  consumeApproval(id: string, at: number): Promise<boolean>;

  /** Closes the store; later calls fail with `KGATE_STORE_CLOSED`. Safe to call twice. */
  close(): Promise<void>;
}
