/**
 * Verification of AssumeRoleWithWebIdentity tokens the way STS does it: the issuer must be a
 * registered OIDC provider, its keys come from the issuer's discovery document over HTTPS,
 * and `aud` must be one of the provider's client IDs.
 */
import { get } from 'node:https';
import { createLocalJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Directory, WebIdentityProvider } from './iam.js';
import { StsError } from './query-protocol.js';

/** A web identity token that verified. */
export interface WebIdentity {
  provider: WebIdentityProvider;
  subject: string;
  /** The `aud` value that matched the provider's client ID list. */
  audience: string;
  claims: JWTPayload;
}

const FETCH_TIMEOUT_MS = 5000;
const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * Verifies `token` against the registered provider named by its `iss`, fetching the provider's
 * JWKS through HTTPS trusting `ca`. Throws {@link StsError} with STS's codes.
 */
export async function verifyWebIdentityToken(token: string, directory: Directory, opts: { ca: string; now: number }): Promise<WebIdentity> {
  const issuer = unverifiedIssuer(token);
  const provider = directory.providerFor(issuer);
  if (!provider) throw new StsError('InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${issuer}`);
  const jwks = await fetchJwks(issuer, opts.ca);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer,
      currentDate: new Date(opts.now),
      requiredClaims: ['iss', 'sub', 'aud', 'exp'],
    }));
  } catch (err) {
    throw tokenError(err, opts.now);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
  const audience = audiences.find((aud) => provider.audiences.includes(aud));
  if (audience === undefined) throw new StsError('InvalidIdentityToken', 'Incorrect token audience');
  return { provider, subject: payload.sub!, audience, claims: payload };
}

function unverifiedIssuer(token: string): string {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw new StsError('InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
  }
  if (typeof iss !== 'string') throw new StsError('InvalidIdentityToken', 'The ID Token provided is missing the iss claim.');
  return iss;
}

function tokenError(err: unknown, now: number): StsError {
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? err.payload.exp : 0;
    return new StsError('ExpiredTokenException',
      `Token expired: current date/time ${Math.floor(now / 1000)} must be before the expiration date/time ${exp}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new StsError('InvalidIdentityToken', `The ID Token provided is not valid: claim '${err.claim}' ${err.reason}.`);
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) {
    return new StsError('InvalidIdentityToken', "Couldn't verify the signature of the ID Token.");
  }
  return new StsError('InvalidIdentityToken', 'The ID Token provided is not a valid JWT.');
}

async function fetchJwks(issuer: string, ca: string): Promise<JSONWebKeySet> {
  try {
    const discovery = await getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, ca);
    const jwksUri = (discovery as { jwks_uri?: unknown }).jwks_uri;
    if (typeof jwksUri !== 'string') throw new Error('discovery document has no jwks_uri');
    const jwks = await getJson(jwksUri, ca);
    if (!Array.isArray((jwks as { keys?: unknown }).keys)) throw new Error('JWKS has no keys');
    return jwks as JSONWebKeySet;
  } catch {
    throw new StsError('IDPCommunicationError',
      "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements");
  }
}

function getJson(url: string, ca: string): Promise<unknown> {
  if (!url.startsWith('https://')) return Promise.reject(new Error('identity provider URLs must be https'));
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: FETCH_TIMEOUT_MS, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) req.destroy(new Error('document too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
