import { decodeClaims, type TokenClaims } from '../jwt.js';
import type { LoginMethod, SessionRecord } from '../session-record.js';
import { badToken } from '../errors.js';

/** The parts of a token endpoint response kgate keeps. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  id_token?: string;
}

/** Context for turning a token response into a session record. */
export interface RecordContext {
  method: LoginMethod;
  issuer: string;
  clientId: string;
  audience: string;
  now: number;
  /** Claims of a verified ID token, when the flow had one. */
  idClaims?: TokenClaims;
}

/**
 * Builds the session record from a token response. The access token is the bearer for the
 * policy service, so it must be a JWT for kgate's audience; names and groups come from the
 * ID token when there is one (access tokens often carry fewer claims).
 */
export function recordFromTokens(tokens: TokenResponse, ctx: RecordContext): SessionRecord {
  let access: TokenClaims;
  try {
    access = decodeClaims(tokens.access_token);
  } catch (error) {
    throw badToken('The IdP\'s access token', (error as Error).message, `Configure the IdP to issue JWT access tokens for the audience "${ctx.audience}".`);
  }
  const aud = typeof access.aud === 'string' ? [access.aud] : access.aud ?? [];
  if (!aud.includes(ctx.audience)) {
    throw badToken('The IdP\'s access token', `is for audience ${JSON.stringify(aud)}, not "${ctx.audience}"`, 'Set the audience kgate expects with --audience or KGATE_AUDIENCE, or fix the resource/audience at the IdP.');
  }
  const claims = { ...access, ...(ctx.idClaims ?? {}) };
  const subject = typeof access.sub === 'string' ? access.sub : claims.sub;
  if (typeof subject !== 'string' || !subject) throw badToken('The IdP\'s access token', 'has no subject (sub)', 'Configure the IdP to put sub in access tokens.');
  const expiresAt = typeof access.exp === 'number' ? access.exp : ctx.now + (tokens.expires_in ?? 300);
  return {
    version: 1,
    method: ctx.method,
    issuer: typeof access.iss === 'string' ? access.iss : ctx.issuer,
    clientId: ctx.clientId,
    audience: ctx.audience,
    subject,
    name: displayName(claims),
    groups: groupsOf(claims),
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt,
  };
}

/** A person's or machine's display name from common claims. */
export function displayName(claims: TokenClaims): string | undefined {
  for (const key of ['name', 'preferred_username', 'email', 'job_workflow_ref', 'repository']) {
    const value = claims[key];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

/** The `groups` claim as a list of strings. */
export function groupsOf(claims: TokenClaims): string[] {
  const groups = claims.groups;
  return Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
}
