import type { IncomingHttpHeaders } from 'node:http';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { IssuerConfig, Principal } from '../types.js';
import { ApiError, unauthenticated } from './errors.js';
import type { IssuerKeys } from './jwks.js';

/** Clock skew tolerated on exp / nbf / iat, in seconds. */
export const CLOCK_SKEW_SECONDS = 60;

/** Turns a request's bearer token into a verified {@link Principal}, or throws a 401. */
export type Authenticate = (headers: IncomingHttpHeaders) => Promise<Principal>;

/**
 * Verifies bearer OIDC JWTs against the trusted issuers: the issuer must be configured, the
 * signature must verify with its JWKS, and audience, expiry and not-before must hold (with
 * {@link CLOCK_SKEW_SECONDS} of skew). Refusals are 401s that say which check failed.
 */
export function createAuthenticator(issuers: IssuerConfig[], keys: IssuerKeys, now: () => number): Authenticate {
  const byIssuer = new Map(issuers.map((i) => [i.issuer, i]));
  return async (headers) => {
    const token = bearerOf(headers.authorization);
    const claimedIssuer = unverifiedIssuer(token);
    const issuer = byIssuer.get(claimedIssuer);
    if (!issuer) {
      throw unauthenticated(`The token's issuer ${claimedIssuer} is not trusted by this kgate server; trusted issuers: ${[...byIssuer.keys()].join(', ') || '(none)'}`);
    }
    const payload = await verify(token, issuer, keys, now);
    return principalOf(payload, issuer);
  };
}

function bearerOf(header: string | undefined): string {
  if (!header) throw unauthenticated('No bearer token: send Authorization: Bearer <OIDC access token> (run kgate login first)');
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  return match[1]!;
}

function unverifiedIssuer(token: string): string {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw unauthenticated('The bearer token is not a JWT');
  }
  if (typeof claims.iss !== 'string' || !claims.iss) throw unauthenticated('The bearer token has no issuer (iss)');
  return claims.iss;
}

async function verify(token: string, issuer: IssuerConfig, keys: IssuerKeys, now: () => number): Promise<JWTPayload> {
  let getKey;
  try {
    getKey = await keys.forIssuer(issuer);
  } catch {
    throw new ApiError(503, 'issuer_unavailable', `Cannot fetch the signing keys of ${issuer.issuer}; try again shortly`);
  }
  try {
    const { payload } = await jwtVerify(token, getKey, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now()),
      requiredClaims: ['exp', 'sub'],
    });
    return payload;
  } catch (error) {
    throw unauthenticated(`The bearer token was refused: ${reasonOf(error, issuer)}`);
  }
}

function reasonOf(error: unknown, issuer: IssuerConfig): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired; log in again';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `its audience is not ${issuer.audience}`;
    if (error.claim === 'nbf') return 'it is not valid yet (nbf)';
    return `claim ${error.claim} is invalid (${error.reason})`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return `its signature does not verify with the keys of ${issuer.issuer}`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return `no key of ${issuer.issuer} matches its key id`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) return 'its algorithm is not accepted';
  if (error instanceof joseErrors.JWKSTimeout) return `the keys of ${issuer.issuer} could not be fetched in time`;
  return 'it is not a valid signed JWT';
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The verified caller: issuer + sub (+ client id), groups from the issuer's groups claim. */
export function principalOf(payload: JWTPayload, issuer: IssuerConfig): Principal {
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
  const named = payload[issuer.principalClaim];
  const workload = issuer.type === 'workload' || (clientId !== undefined && issuer.workloadClients.includes(clientId));
  return {
    issuer: issuer.issuer,
    subject: payload.sub!,
    ...(clientId === undefined ? {} : { clientId }),
    name: typeof named === 'string' && named ? named : payload.sub!,
    type: workload ? 'workload' : 'human',
    groups: stringsOf(payload[issuer.groupsClaim]),
    claims: payload as Record<string, unknown>,
  };
}
