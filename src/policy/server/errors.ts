/**
 * The service's error model: every refusal is `{ error: { code, message } }` with a 4xx status (5xx
 * only when a dependency failed), and a message a caller can act on. Nothing else escapes.
 */

/** An error the API reports as it is: status, stable code, one-line message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, code = 'bad_request') => new ApiError(400, code, message);
export const unauthenticated = (message: string) => new ApiError(401, 'unauthenticated', message, { 'www-authenticate': 'Bearer realm="kgate"' });
export const forbidden = (message: string, code = 'forbidden') => new ApiError(403, code, message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new ApiError(409, code, message);
export const unavailable = (message: string, code = 'unavailable') => new ApiError(503, code, message);

/** The JSON body of an error response. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/** What an unexpected error becomes: a fixed message, never the original text or a stack. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(500, 'internal', 'The policy service failed to handle this request; the server log has details.');
}
