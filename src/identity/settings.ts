import { readFile } from 'node:fs/promises';
import { resolvePaths, type KgatePaths } from '../cli/paths.js';
import { usageError } from '../cli/errors.js';
import { readIdentityConfig, type IdentityConfigFile } from './config-file.js';

/** Where tokens are kept: `auto` tries the OS keyring and falls back to a 0600 file with a warning. */
export type TokenStorage = 'auto' | 'keyring' | 'file' | 'none';

/** The identity-related flags every identity command accepts (all optional). */
export interface IdentityFlags {
  issuer?: string;
  'client-id'?: string;
  'client-secret'?: string;
  'client-secret-file'?: string;
  audience?: string;
  scope?: string[];
  'token-storage'?: string;
  'ca-file'?: string;
}

/** A client secret and where it came from (never printed; `source` is for warnings). */
export interface ClientSecret {
  value: string;
  source: 'flag' | 'flag file' | 'KGATE_CLIENT_SECRET' | 'KGATE_CLIENT_SECRET_FILE' | 'config file';
}

/** Everything identity code needs to know, resolved once per command. */
export interface IdentitySettings {
  /** The company IdP; absent when only a workload token is used. */
  issuer?: string;
  clientId: string;
  /** Loaded lazily: only client credentials need it. */
  clientSecret: () => Promise<ClientSecret | undefined>;
  /** Where the secret would come from, known without reading it; `flag` shows in the process list. */
  clientSecretSource?: ClientSecret['source'];
  /** Scopes for people's logins; `explicitScopes` says whether the user chose them. */
  scopes: string[];
  explicitScopes: boolean;
  /** The `aud` kgate's tokens must carry, and the audience requested from workload platforms. */
  audience: string;
  tokenStorage: TokenStorage;
  /** Extra trusted CA (PEM file) for the IdP, on top of the system trust store. */
  caFile?: string;
  paths: KgatePaths;
}

export const DEFAULT_CLIENT_ID = 'kgate-cli';
export const DEFAULT_AUDIENCE = 'kgate';
export const DEFAULT_SCOPES = ['openid', 'profile', 'groups', 'offline_access'];
const STORAGES: readonly TokenStorage[] = ['auto', 'keyring', 'file', 'none'];

/**
 * Resolves identity settings from flags, then `KGATE_*` environment variables, then
 * `<configDir>/config.yaml`, then defaults. Validates eagerly with errors naming the source.
 */
export async function resolveIdentitySettings(flags: IdentityFlags, env: NodeJS.ProcessEnv = process.env): Promise<IdentitySettings> {
  const paths = resolvePaths(env);
  const file = await readIdentityConfig(paths.config);
  const pick = (flag: string | undefined, envName: string, fileValue: string | undefined) => flag || env[envName] || fileValue || undefined;
  const issuer = pick(flags.issuer, 'KGATE_ISSUER', file.issuer);
  const scopeWords = flags.scope?.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  const envScopes = env.KGATE_SCOPES?.split(/[\s,]+/).filter(Boolean);
  const scopes = scopeWords?.length ? scopeWords : envScopes?.length ? envScopes : file.scopes;
  return {
    issuer: issuer === undefined ? undefined : checkIssuer(issuer),
    clientId: pick(flags['client-id'], 'KGATE_CLIENT_ID', file.clientId) ?? DEFAULT_CLIENT_ID,
    clientSecret: () => loadSecret(flags, env, file),
    clientSecretSource: secretSource(flags, env, file),
    scopes: scopes ?? DEFAULT_SCOPES,
    explicitScopes: scopes !== undefined,
    audience: pick(flags.audience, 'KGATE_AUDIENCE', file.audience) ?? DEFAULT_AUDIENCE,
    tokenStorage: checkStorage(pick(flags['token-storage'], 'KGATE_TOKEN_STORAGE', file.tokenStorage) ?? 'auto'),
    caFile: pick(flags['ca-file'], 'KGATE_CA_FILE', file.caFile),
    paths,
  };
}

/** Issuers must be https URLs without query or fragment (OIDC Discovery §2). */
export function checkIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`The issuer "${value}" is not a URL`, ['Pass --issuer https://idp.example.com or set KGATE_ISSUER.']);
  }
  if (url.protocol !== 'https:') throw usageError(`The issuer ${value} must use https`, ['OpenID Providers are only trusted over https.']);
  if (url.search || url.hash) throw usageError(`The issuer ${value} must not have a query or fragment`);
  return value.replace(/\/+$/, '');
}

function checkStorage(value: string): TokenStorage {
  if ((STORAGES as readonly string[]).includes(value)) return value as TokenStorage;
  throw usageError(`Unknown token storage "${value}"`, [`Use one of: ${STORAGES.join(', ')}.`]);
}

async function loadSecret(flags: IdentityFlags, env: NodeJS.ProcessEnv, file: IdentityConfigFile): Promise<ClientSecret | undefined> {
  if (flags['client-secret']) return { value: flags['client-secret'], source: 'flag' };
  if (flags['client-secret-file']) return { value: await readSecretFile(flags['client-secret-file']), source: 'flag file' };
  if (env.KGATE_CLIENT_SECRET) return { value: env.KGATE_CLIENT_SECRET, source: 'KGATE_CLIENT_SECRET' };
  if (env.KGATE_CLIENT_SECRET_FILE) return { value: await readSecretFile(env.KGATE_CLIENT_SECRET_FILE), source: 'KGATE_CLIENT_SECRET_FILE' };
  if (file.clientSecretFile) return { value: await readSecretFile(file.clientSecretFile), source: 'config file' };
  return undefined;
}

async function readSecretFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the client secret file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const secret = text.trim();
  if (!secret) throw usageError(`The client secret file ${path} is empty`);
  return secret;
}

function secretSource(flags: IdentityFlags, env: NodeJS.ProcessEnv, file: IdentityConfigFile): ClientSecret['source'] | undefined {
  if (flags['client-secret']) return 'flag';
  if (flags['client-secret-file']) return 'flag file';
  if (env.KGATE_CLIENT_SECRET) return 'KGATE_CLIENT_SECRET';
  if (env.KGATE_CLIENT_SECRET_FILE) return 'KGATE_CLIENT_SECRET_FILE';
  return file.clientSecretFile ? 'config file' : undefined;
}
