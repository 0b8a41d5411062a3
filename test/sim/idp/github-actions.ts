import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import type { SimTls } from '../tls.js';
import { listenHttps } from './https-listener.js';
import { createSigningKey } from './signing-key.js';
import type { SigningKey } from './signing-key.js';

/** The custom claims GitHub puts in a workflow's OIDC token (all values are strings, as on GitHub). */
export interface GhaClaims {
  sub: string;
  repository: string;
  repository_owner: string;
  repository_id: string;
  repository_owner_id: string;
  repository_visibility: string;
  ref: string;
  ref_type: string;
  ref_protected: string;
  sha: string;
  workflow: string;
  workflow_ref: string;
  workflow_sha: string;
  job_workflow_ref: string;
  job_workflow_sha: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  actor: string;
  actor_id: string;
  event_name: string;
  head_ref: string;
  base_ref: string;
  runner_environment: string;
  /** Only present when the job runs in an environment; it then also shapes `sub`. */
  environment?: string;
}

/** Options of {@link startGhaIssuer}. */
export interface GhaIssuerOptions {
  tls: SimTls;
  /** Overrides of the default job (`acme/deploy`, push to `refs/heads/main`). */
  claims?: Partial<GhaClaims>;
  /** Token lifetime; default 300 like GitHub's. */
  tokenLifetimeSeconds?: number;
  log?: (line: string) => void;
}

/** The running GitHub-Actions-like issuer. */
export interface GhaIssuer {
  /** `https://127.0.0.1:<port>`, the `iss` of its tokens (GitHub's is https://token.actions.githubusercontent.com). */
  issuer: string;
  jwksUri: string;
  /** What a job sees as ACTIONS_ID_TOKEN_REQUEST_URL; it has a query, so callers append `&audience=…`. */
  requestUrl: string;
  /** What a job sees as ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestToken: string;
  /** The claims every token carries (besides iss, aud, iat, nbf, exp, jti). */
  claims: GhaClaims;
  close(): Promise<void>;
}

/** `sub` as GitHub derives it from the job: environment, pull request, or ref. */
function subjectOf(claims: Omit<GhaClaims, 'sub'>): string {
  if (claims.environment) return `repo:${claims.repository}:environment:${claims.environment}`;
  if (claims.event_name === 'pull_request') return `repo:${claims.repository}:pull_request`;
  return `repo:${claims.repository}:ref:${claims.ref}`;
}

function jobClaims(overrides: Partial<GhaClaims>): GhaClaims {
  const repository = overrides.repository ?? 'acme/deploy';
  const ref = overrides.ref ?? 'refs/heads/main';
  const sha = overrides.sha ?? randomBytes(20).toString('hex');
  const workflowRef = `${repository}/.github/workflows/deploy.yml@${ref}`;
  const base: Omit<GhaClaims, 'sub'> = {
    repository,
    repository_owner: repository.split('/')[0]!,
    repository_id: '812345671',
    repository_owner_id: '90123456',
    repository_visibility: 'private',
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: 'true',
    sha,
    workflow: 'deploy',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    run_id: '13579246801',
    run_number: '42',
    run_attempt: '1',
    actor: 'alice-gh',
    actor_id: '4242',
    event_name: 'push',
    head_ref: '',
    base_ref: '',
    runner_environment: 'github-hosted',
    ...overrides,
  };
  return { ...base, sub: overrides.sub ?? subjectOf(base) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function bearerMatches(req: IncomingMessage, expected: string): boolean {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

async function mintToken(key: SigningKey, issuer: string, audience: string, claims: GhaClaims, lifetime: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // GitHub backdates nbf well before iat to absorb clock skew at relying parties.
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .setJti(randomUUID())
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(now - 600)
    .setExpirationTime(now + lifetime)
    .sign(key.privateKey);
}

function discoveryDocument(issuer: string, claims: GhaClaims): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks`,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', ...Object.keys(claims).filter((c) => c !== 'sub')],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
  };
}

/**
 * Starts an issuer that behaves like GitHub Actions' OIDC: a job fetches
 * `${requestUrl}&audience=<aud>` with `Authorization: bearer ${requestToken}` and gets
 * `{"count": n, "value": "<jwt>"}`; the JWT verifies against `/.well-known/jwks`.
 */
export async function startGhaIssuer(opts: GhaIssuerOptions): Promise<GhaIssuer> {
  const log = opts.log ?? (() => {});
  const key = await createSigningKey();
  const claims = jobClaims(opts.claims ?? {});
  const requestToken = randomBytes(32).toString('base64url');
  const lifetime = opts.tokenLifetimeSeconds ?? 300;
  const tokenPath = `/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken`;
  let issuer = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const routes: Record<string, () => Promise<void> | void> = {
      '/.well-known/openid-configuration': () => sendJson(res, 200, discoveryDocument(issuer, claims)),
      '/.well-known/jwks': () => sendJson(res, 200, { keys: [key.publicJwk] }),
      [tokenPath]: async () => {
        if (!bearerMatches(req, requestToken)) {
          log('gha: token request refused: missing or wrong bearer token');
          res.setHeader('www-authenticate', 'Bearer');
          sendJson(res, 401, { message: 'Unauthorized' });
          return;
        }
        const audience = url.searchParams.get('audience') || `https://github.com/${claims.repository_owner}`;
        const value = await mintToken(key, issuer, audience, claims, lifetime);
        sendJson(res, 200, { count: value.length, value });
      },
    };
    const route = routes[url.pathname];
    if (!route) {
      log(`gha: no route for ${req.method} ${url.pathname}`);
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET');
      sendJson(res, 405, { message: 'Method Not Allowed' });
      return;
    }
    await route();
  }

  const listener = await listenHttps(opts.tls, handle, log);
  issuer = listener.origin;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks`,
    requestUrl: `${issuer}${tokenPath}?api-version=2.0`,
    requestToken,
    claims,
    close: () => listener.close(),
  };
}
