import { errors } from 'oidc-provider';
import type { Adapter, Configuration, KoaContextWithOIDC, ProviderClient, ProviderToken } from 'oidc-provider';
import { machineById, personBySub } from './accounts.js';
import type { Directory } from './accounts.js';
import { deviceCodeInputPage, deviceConfirmPage, deviceSuccessPage, errorPage } from './pages.js';
import type { SigningKey } from './signing-key.js';

/** The public native client people use through `kgate login`. */
export const CLI_CLIENT_ID = 'kgate-cli';

/** The resource indicator (RFC 8707) every access token is issued for; the IdP defaults to it. */
export const KGATE_RESOURCE = 'urn:kgate';

/** The `aud` of every access token. */
export const KGATE_AUDIENCE = 'kgate';

/** What the provider configuration is built from. */
export interface ConfigurationInput {
  directory: Directory;
  signingKey: SigningKey;
  adapter: (model: string) => Adapter;
  cookieKeys: string[];
  accessTokenTtlSeconds: number;
}

const DAY = 24 * 3600;

function clients(directory: Directory): Record<string, unknown>[] {
  const cli = {
    client_id: CLI_CLIENT_ID,
    client_name: 'kgate CLI',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    // A native client's loopback redirect matches on any port (RFC 8252 §7.3); oidc-provider
    // implements that for application_type native, so the port is left out here.
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  };
  const machines = Object.values(directory.machines).map((m) => ({
    client_id: m.clientId,
    client_secret: m.clientSecret,
    client_name: m.clientId,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }));
  return [cli, ...machines];
}

function accessTokenClaims(directory: Directory, token: ProviderToken): Record<string, unknown> | undefined {
  if (token.accountId) {
    const person = personBySub(directory, token.accountId);
    return person && { groups: person.groups, preferred_username: person.username };
  }
  const machine = machineById(directory, token.clientId ?? '');
  return machine && { groups: machine.groups };
}

function deviceInputError(error: (Error & { userCode?: string }) | undefined): string | undefined {
  if (!error) return undefined;
  if (error.userCode !== undefined || error.name === 'NoCodeError') return 'The code you entered is incorrect. Try again.';
  if (error.name === 'AbortedError') return 'The sign-in request was aborted.';
  return 'There was an error processing your request.';
}

function revocationAllowed(_ctx: KoaContextWithOIDC, client: ProviderClient, token: ProviderToken): boolean {
  if (token.clientId === client.clientId) return true;
  // RFC 7009 §2.2: a public client gets the same 200 whether or not the token was its own.
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}

function introspectionAllowed(_ctx: KoaContextWithOIDC, client: ProviderClient, token: ProviderToken): boolean {
  return client.clientAuthMethod !== 'none' || token.clientId === client.clientId;
}

/** Builds the oidc-provider configuration of the sim's company IdP. */
export function buildConfiguration(input: ConfigurationInput): Configuration {
  const { directory, accessTokenTtlSeconds } = input;
  return {
    adapter: input.adapter,
    clients: clients(directory),
    jwks: { keys: [input.signingKey.privateJwk] },
    cookies: { keys: input.cookieKeys },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // Access tokens belong to kgate, not to userinfo, so people's claims must reach the ID token.
    conformIdTokenClaims: false,
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const person = personBySub(directory, sub);
      if (!person) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          name: person.name,
          preferred_username: person.username,
          email: person.email,
          email_verified: true,
          groups: person.groups,
        }),
      };
    },
    extraTokenClaims: async (_ctx: KoaContextWithOIDC, token: ProviderToken) => accessTokenClaims(directory, token),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      deviceFlow: {
        enabled: true,
        async userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out: unknown, error?: Error) {
          ctx.type = 'html';
          ctx.body = deviceCodeInputPage(form, deviceInputError(error));
        },
        async userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, client: ProviderClient, _info: unknown, userCode: string) {
          ctx.type = 'html';
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
        },
        async successSource(ctx: KoaContextWithOIDC) {
          const client = ctx.oidc.client;
          ctx.type = 'html';
          ctx.body = deviceSuccessPage(client?.clientName ?? client?.clientId ?? '');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => KGATE_RESOURCE,
        // Without this, an access token requested alongside `openid` would be an opaque userinfo token.
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx: KoaContextWithOIDC, indicator: string) {
          if (indicator !== KGATE_RESOURCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return {
            scope: '',
            audience: KGATE_AUDIENCE,
            accessTokenTTL: accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    interactions: { url: async (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    responseTypes: ['code'],
    rotateRefreshToken: true,
    clientBasedCORS: () => false,
    async renderError(ctx: KoaContextWithOIDC, out: Record<string, string | undefined>) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in failed', out);
    },
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      ClientCredentials: accessTokenTtlSeconds,
      IdToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 14 * DAY,
      RefreshToken: 14 * DAY,
    },
  };
}
