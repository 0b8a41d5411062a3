import { ClusterError, ClusterErrorCode } from '../../cluster/errors.js';
import { StoreError } from '../store/errors.js';
import { ApiError, toApiError } from './errors.js';

const STORE_STATUS: Record<string, [number, string]> = {
  KGATE_STORE_NOT_FOUND: [404, 'not_found'],
  KGATE_STORE_CONFLICT: [409, 'conflict'],
  KGATE_STORE_DUPLICATE_VOTE: [409, 'already_voted'],
  KGATE_STORE_APPROVAL_CLOSED: [409, 'approval_closed'],
  KGATE_STORE_TOO_LARGE: [413, 'too_large'],
  KGATE_STORE_INVALID: [400, 'bad_request'],
  KGATE_STORE_CLOSED: [503, 'unavailable'],
};

const CLUSTER_STATUS: Partial<Record<string, [number, string]>> = {
  [ClusterErrorCode.InvalidName]: [400, 'invalid_name'],
  [ClusterErrorCode.NamespaceNotFound]: [400, 'namespace_not_found'],
  [ClusterErrorCode.GrantEnded]: [409, 'grant_ended'],
  [ClusterErrorCode.Unavailable]: [503, 'cluster_unavailable'],
};

/**
 * Maps what services below the API threw to an {@link ApiError}. Store and cluster errors carry
 * safe one-line messages by contract, so they pass through; anything else becomes a fixed 500.
 */
export function mapError(error: unknown): ApiError {
  if (error instanceof StoreError) {
    const [status, code] = STORE_STATUS[error.code] ?? [500, 'internal'];
    return new ApiError(status, code, error.message);
  }
  if (error instanceof ClusterError) {
    const [status, code] = CLUSTER_STATUS[error.code] ?? [502, 'cluster_error'];
    return new ApiError(status, code, error.message);
  }
  return toApiError(error);
}
