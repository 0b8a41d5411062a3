import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { usageError } from '../../cli/errors.js';
import { audiencesOf, decodeClaims, MalformedTokenError, type TokenClaims } from '../jwt.js';
import { badToken, idpError } from '../errors.js';
import { createIdpFetch } from '../http.js';
import type { IdentitySettings } from '../settings.js';
import type { LoginMethod, SessionRecord } from '../session-record.js';
import { CLOCK_TOLERANCE_SECONDS } from './oidc.js';
import { displayName, groupsOf } from './tokens.js';

/** Where a workload token comes from. */
export type WorkloadSource =
  | { kind: 'token-file'; path: string }
  | { kind: 'token-env'; name: string }
  | { kind: 'github-actions'; requestUrl: string; requestToken: string };

/** A platform-issued token and its (unverified) claims. */
export interface WorkloadToken {
  token: string;
  claims: TokenClaims & { iss: string; sub: string; exp: number };
}

/** The GitHub Actions source when the job has `permissions: id-token: write`, else undefined. */
export function githubActionsSource(env: NodeJS.ProcessEnv): WorkloadSource | undefined {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  return requestUrl && requestToken ? { kind: 'github-actions', requestUrl, requestToken } : undefined;
}

/**
 * Reads the token from its source now (files and variables are re-read at every use because
 * platforms rotate them) and checks shape, issuer, subject, audience and time locally.
 */
export async function readWorkloadToken(source: WorkloadSource, settings: IdentitySettings, env: NodeJS.ProcessEnv, nowSeconds: number): Promise<WorkloadToken> {
  const what = describeWorkloadSource(source);
  const token = await fetchToken(source, settings, env);
  return { token, claims: inspectWorkloadToken(token, what, settings.audience, nowSeconds) };
}

/** Local checks of a workload JWT; each failure is one line saying what to do. */
export function inspectWorkloadToken(token: string, what: string, audience: string, nowSeconds: number): WorkloadToken['claims'] {
  let claims: TokenClaims;
  try {
    claims = decodeClaims(token);
  } catch (error) {
    if (error instanceof MalformedTokenError) throw badToken(`The token from ${what}`, error.message, 'Point kgate at the platform\'s OIDC token (a JWT).');
    throw error;
  }
  if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string') {
    throw badToken(`The token from ${what}`, 'has no iss or sub claim', 'Use an OIDC token issued by the platform.');
  }
  const audiences = audiencesOf(claims);
  if (!audiences.includes(audience)) {
    throw badToken(`The token from ${what}`, `is for audience ${audiences.map((a) => `"${a}"`).join(', ') || '(none)'}, not "${audience}"`,
      `Request the token for audience "${audience}" (e.g. a projected ServiceAccount token with audience: ${audience}).`);
  }
  if (typeof claims.exp !== 'number') throw badToken(`The token from ${what}`, 'has no expiry (exp)', 'kgate accepts only expiring platform tokens.');
  if (claims.exp + CLOCK_TOLERANCE_SECONDS <= nowSeconds) {
    throw badToken(`The token from ${what}`, `expired at ${new Date(claims.exp * 1000).toISOString()}`, 'The platform should have rotated it: check the token source, then run kgate again.');
  }
  const notBefore = claims.nbf ?? claims.iat;
  if (typeof notBefore === 'number' && notBefore - CLOCK_TOLERANCE_SECONDS > nowSeconds) {
    throw badToken(`The token from ${what}`, `is not valid until ${new Date(notBefore * 1000).toISOString()}`, 'Check this machine\'s clock (it is behind the issuer\'s).');
  }
  return claims as WorkloadToken['claims'];
}

/**
 * Verifies the signature against the issuer's published keys (OIDC Discovery + JWKS); done
 * once at login so a tampered or foreign token is refused early. The policy service verifies again.
 */
export async function verifyWorkloadSignature(workload: WorkloadToken, settings: IdentitySettings, what: string): Promise<void> {
  const { createRemoteJWKSet, customFetch, jwtVerify } = await import('jose');
  const fetch = await createIdpFetch(settings.caFile);
  const issuer = workload.claims.iss;
  let jwksUri: string;
  try {
    const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    if (!response.ok) throw Object.assign(new Error(`discovery answered ${response.status}`), { code: 'OAUTH_DISCOVERY', status: response.status });
    jwksUri = String(((await response.json()) as { jwks_uri?: unknown }).jwks_uri ?? '');
    if (!jwksUri) throw Object.assign(new Error('no jwks_uri'), { code: 'OAUTH_DISCOVERY' });
  } catch (error) {
    throw idpError(error, `the token issuer ${issuer}`);
  }
  try {
    const jwks = createRemoteJWKSet(new URL(jwksUri), { [customFetch]: fetch as never });
    await jwtVerify(workload.token, jwks, { issuer, audience: settings.audience, clockTolerance: CLOCK_TOLERANCE_SECONDS });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('ERR_J')) {
      throw badToken(`The token from ${what}`, `does not verify against ${issuer}'s keys (${code})`, 'The token was altered or not issued by its iss; get a fresh token from the platform.');
    }
    throw idpError(error, `the token issuer ${issuer}`);
  }
}

/** The session record of a workload login; token files and variables keep only their name. */
export function workloadRecord(source: WorkloadSource, workload: WorkloadToken, settings: IdentitySettings): SessionRecord {
  const base = {
    version: 1 as const,
    method: source.kind as LoginMethod,
    issuer: workload.claims.iss,
    clientId: settings.clientId,
    audience: settings.audience,
    subject: workload.claims.sub,
    name: displayName(workload.claims),
    groups: groupsOf(workload.claims),
  };
  if (source.kind === 'token-file') return { ...base, tokenFile: source.path };
  if (source.kind === 'token-env') return { ...base, tokenEnv: source.name };
  return { ...base, accessToken: workload.token, expiresAt: workload.claims.exp };
}

/** A token-file or token-env source named by a record, resolved to an absolute path. */
export function sourceOfRecord(record: SessionRecord): WorkloadSource | undefined {
  if (record.tokenFile) return { kind: 'token-file', path: record.tokenFile };
  if (record.tokenEnv) return { kind: 'token-env', name: record.tokenEnv };
  return undefined;
}

/** Normalises a --token-file path so later processes in other directories find it. */
export function tokenFileSource(path: string): WorkloadSource {
  return { kind: 'token-file', path: resolve(path) };
}

/** How a workload source is named in messages. */
export function describeWorkloadSource(source: WorkloadSource): string {
  if (source.kind === 'token-file') return source.path;
  if (source.kind === 'token-env') return `$${source.name}`;
  return 'GitHub Actions';
}


async function fetchToken(source: WorkloadSource, settings: IdentitySettings, env: NodeJS.ProcessEnv): Promise<string> {
  if (source.kind === 'token-file') {
    try {
      return (await readFile(source.path, 'utf8')).trim();
    } catch (error) {
      throw usageError(`Cannot read the token file ${source.path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, ['Check --token-file; a projected ServiceAccount token must be mounted into the pod.']);
    }
  }
  if (source.kind === 'token-env') {
    const value = env[source.name]?.trim();
    if (!value) throw usageError(`The environment variable ${source.name} is not set or empty`, ['Set it to the platform\'s OIDC token, or use --token-file.']);
    return value;
  }
  return requestGithubToken(source, settings);
}

async function requestGithubToken(source: Extract<WorkloadSource, { kind: 'github-actions' }>, settings: IdentitySettings): Promise<string> {
  const fetch = await createIdpFetch(settings.caFile);
  const url = new URL(source.requestUrl);
  url.searchParams.set('audience', settings.audience);
  let response: Response;
  try {
    response = await fetch(url.href, { headers: { authorization: `bearer ${source.requestToken}`, accept: 'application/json' } });
  } catch (error) {
    throw idpError(error, 'the GitHub Actions token service');
  }
  if (!response.ok) {
    throw idpError(Object.assign(new Error(`HTTP ${response.status}`), { error: `http_${response.status}`, error_description: 'the job needs permissions: id-token: write' }), 'the GitHub Actions token service');
  }
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (typeof body.value !== 'string') throw badToken('The GitHub Actions token service', 'answered without a token', 'Check ACTIONS_ID_TOKEN_REQUEST_URL.');
  return body.value;
}
