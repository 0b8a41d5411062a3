import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { SimTls } from '../tls.js';
import { createDirectory } from './accounts.js';
import type { Machine, MachineName, Person, PersonName } from './accounts.js';
import { buildConfiguration, CLI_CLIENT_ID, KGATE_AUDIENCE, KGATE_RESOURCE } from './configuration.js';
import { countGrants } from './grant-stats.js';
import type { IdpStats } from './grant-stats.js';
import { listenHttps } from './https-listener.js';
import { createInteractionHandler, isInteractionPath } from './interactions.js';
import { MemoryStore } from './memory-adapter.js';
import { createSigningKey } from './signing-key.js';

export type { IdpStats } from './grant-stats.js';
export type { Machine, MachineName, Person, PersonName } from './accounts.js';

/** Options of {@link startIdp}. */
export interface SimIdpOptions {
  tls: SimTls;
  /** Lifetime of access tokens and ID tokens; default 600. */
  accessTokenTtlSeconds?: number;
  /** The `interval` the device authorization response advertises (RFC 8628 §3.2); default 1. */
  devicePollIntervalSeconds?: number;
  /** Receives one line per request the IdP refused or could not serve; never a token. */
  log?: (line: string) => void;
}

/** The running company IdP. */
export interface SimIdp {
  /** `https://127.0.0.1:<port>`, exactly the `iss` of its tokens. */
  issuer: string;
  jwksUri: string;
  /** The `aud` of every access token. */
  audience: string;
  /** The resource indicator access tokens are issued for (the default when none is sent). */
  resource: string;
  /** Public native client: auth code + PKCE on a loopback redirect, device flow, refresh. */
  cliClientId: string;
  /** Confidential clients for the client credentials grant (`client_secret_basic`). */
  machines: Record<MachineName, Machine>;
  /** People who can sign in at the login page. */
  people: Record<PersonName, Person>;
  stats(): IdpStats;
  close(): Promise<void>;
}

/** RFC 8628 lets the server choose the poll interval; a short one keeps tests quick. */
function advertisePollInterval(seconds: number) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && body && typeof body === 'object') {
      body.interval = seconds;
    }
  };
}

const REFUSALS = [
  'authorization.error', 'grant.error', 'device_authorization.error', 'code_verification.error',
  'device_resume.error', 'revocation.error', 'introspection.error', 'userinfo.error', 'end_session.error',
];

function logRefusals(provider: Provider, log: (line: string) => void): void {
  for (const event of REFUSALS) {
    provider.on(event, (ctx, error) => {
      const e = error as (Error & { error?: string; error_description?: string }) | undefined;
      log(`idp: ${ctx.method} ${ctx.path} refused: ${e?.error ?? e?.name} ${e?.error_description ?? ''}`.trimEnd());
    });
  }
  provider.on('server_error', (ctx, error) => log(`idp: ${ctx.method} ${ctx.path} failed: ${error?.message}`));
}

function logUnrouted(log: (line: string) => void) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.status === 404 && !ctx.oidc?.route) log(`idp: no route for ${ctx.method} ${ctx.path}`);
  };
}

/**
 * Starts the sim's company IdP: the real oidc-provider on HTTPS with device flow, client
 * credentials, authorization code + PKCE, rotating refresh tokens, revocation and introspection.
 * Access tokens are RS256 JWTs (`typ: at+jwt`) for audience `kgate` carrying `groups`.
 */
export async function startIdp(opts: SimIdpOptions): Promise<SimIdp> {
  const log = opts.log ?? (() => {});
  const directory = createDirectory();
  const signingKey = await createSigningKey();
  let serve: (req: IncomingMessage, res: ServerResponse) => void | Promise<void> = (_req, res) => {
    res.writeHead(503).end();
  };
  const listener = await listenHttps(opts.tls, (req, res) => serve(req, res), log);
  const issuer = listener.origin;
  const provider = new Provider(issuer, buildConfiguration({
    directory,
    signingKey,
    adapter: new MemoryStore().adapterFactory(),
    cookieKeys: [randomBytes(32).toString('base64url')],
    accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 600,
  }));
  provider.use(advertisePollInterval(opts.devicePollIntervalSeconds ?? 1));
  provider.use(logUnrouted(log));
  logRefusals(provider, log);
  const stats = countGrants(provider);
  const interactions = createInteractionHandler(provider, directory, log);
  const oidc = provider.callback();
  serve = (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    return isInteractionPath(path) ? interactions(req, res) : oidc(req, res);
  };
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    audience: KGATE_AUDIENCE,
    resource: KGATE_RESOURCE,
    cliClientId: CLI_CLIENT_ID,
    machines: directory.machines,
    people: directory.people,
    stats,
    close: () => listener.close(),
  };
}
