/**
 * The broker daemon's control protocol on its Unix socket: one JSON object per line each way,
 * one request per connection. Small on purpose: the credential plugin's warm path speaks it with
 * nothing but `node:net`.
 */

/** What the credential plugin asks for: a session token for one cluster and grant template. */
export interface CredentialRequest {
  op: 'credential';
  cluster: string;
  grant: string;
  namespaces?: string[];
  /** Answer only from what is already active (the warm path); never request or wait. */
  warmOnly?: boolean;
}

export type ControlRequest = CredentialRequest | { op: 'status' } | { op: 'stop' } | { op: 'ping' };

/** A token kubectl presents to the daemon's listener, and until when it works. */
export interface CredentialGranted {
  ok: true;
  state: 'active';
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  grantId: string;
}

/** The grant waits for approvers. */
export interface CredentialPending {
  ok: true;
  state: 'pending';
  grantId: string;
  approvalId?: string;
  message: string;
}

/** The warm path found nothing active: the caller must take the full path. */
export interface CredentialCold {
  ok: true;
  state: 'cold';
}

export interface ControlError {
  ok: false;
  code: string;
  message: string;
  exit: number;
  suggestions: readonly string[];
}

export type CredentialResponse = CredentialGranted | CredentialPending | CredentialCold | ControlError;

export interface BrokerStatus {
  ok: true;
  pid: number;
  url: string;
  startedAt: number;
  idleStopAt: number;
  sessions: { cluster: string; template: string; grantId: string; state: 'active' | 'pending'; expiresAt?: number; session?: string }[];
  spool: { pending: number; bytes: number };
}

export type ControlResponse = CredentialResponse | BrokerStatus | { ok: true; stopping?: true } | ControlError;

/** Longest request or response line accepted (a status with many sessions stays far below). */
export const MAX_LINE_BYTES = 256 * 1024;
