import { ExitCode, KgateError } from '../../cli/errors.js';

export type StoreErrorCode =
  | 'KGATE_STORE_NOT_FOUND'
  | 'KGATE_STORE_CONFLICT'
  | 'KGATE_STORE_DUPLICATE_VOTE'
  | 'KGATE_STORE_APPROVAL_CLOSED'
  | 'KGATE_STORE_TOO_LARGE'
  | 'KGATE_STORE_INVALID'
  | 'KGATE_STORE_SCHEMA_NEWER'
  | 'KGATE_STORE_CLOSED';

const exitFor: Record<StoreErrorCode, ExitCode> = {
  KGATE_STORE_NOT_FOUND: ExitCode.Error,
  KGATE_STORE_CONFLICT: ExitCode.Error,
  KGATE_STORE_DUPLICATE_VOTE: ExitCode.Usage,
  KGATE_STORE_APPROVAL_CLOSED: ExitCode.Usage,
  KGATE_STORE_TOO_LARGE: ExitCode.Usage,
  KGATE_STORE_INVALID: ExitCode.Usage,
  KGATE_STORE_SCHEMA_NEWER: ExitCode.Error,
  KGATE_STORE_CLOSED: ExitCode.Unavailable,
};

/** A storage failure the caller can map to a response: the code says which. */
export class StoreError extends KgateError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options: { suggestions?: readonly string[]; cause?: unknown } = {}) {
    super(message, { code, exit: exitFor[code], ...options });
    this.name = 'StoreError';
  }
}

/** A second vote by the same approver on the same approval. */
export class DuplicateVoteError extends StoreError {
  constructor(
    readonly approvalId: string,
    readonly approver: string,
  ) {
    super('KGATE_STORE_DUPLICATE_VOTE', `${approver} has already voted on approval ${approvalId}`);
    this.name = 'DuplicateVoteError';
  }
}

/** True when `error` is a StoreError, and of `code` when given. */
export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
