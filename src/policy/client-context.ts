/**
 * How a command reaches the policy service: the URL from `--server`, else KGATE_SERVER, else
 * `server:` in config.yaml (https unless loopback or --insecure-http-server /
 * KGATE_INSECURE_HTTP_SERVER=1); the CA from KGATE_SERVER_CA_FILE, else the identity CA
 * (KGATE_CA_FILE); the bearer from the current kgate login.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { usageError } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';
import { checkServerUrl, INSECURE_HTTP_SERVER_ENV, insecureHttpAllowed } from '../cli/server-url.js';
import { identityFlags } from '../identity/command-flags.js';
import { openIdentity } from '../identity/context.js';
import { PolicyClient } from './client.js';

/** Flags every command talking to the policy service accepts. */
export const serverFlags = {
  server: Flags.string({ summary: 'Policy service URL (env KGATE_SERVER, or server: in config.yaml).', helpGroup: 'SERVER' }),
  'insecure-http-server': Flags.boolean({
    summary: `Allow a plain http:// policy service URL on another machine: tokens cross the network unencrypted (env ${INSECURE_HTTP_SERVER_ENV}=1).`,
    helpGroup: 'SERVER',
  }),
  ...identityFlags,
};

/** Flags of {@link serverFlags}, as parsed. */
export interface ServerFlagValues {
  server?: string;
  'insecure-http-server'?: boolean;
  issuer?: string;
  'client-id'?: string;
  audience?: string;
  'token-storage'?: string;
  'ca-file'?: string;
}

/** Where the policy service is, and the extra CA (PEM) to trust for it. */
export interface PolicyEndpoint {
  server: string;
  ca?: string;
}

/**
 * The policy service every command talks to, resolved and checked as the header says; undefined
 * when none is configured. Checks that need the service without a login (`kgate doctor`) use this too.
 * @throws KgateError `KGATE_INSECURE_SERVER_URL` for plain http to another machine (see checkServerUrl).
 */
export async function policyEndpoint(flags: Pick<ServerFlagValues, 'server' | 'ca-file' | 'insecure-http-server'>, env: NodeJS.ProcessEnv = process.env): Promise<PolicyEndpoint | undefined> {
  const found = await serverSource(flags, env);
  if (!found) return undefined;
  const server = checkServerUrl(found.server, found.source, insecureHttpAllowed(flags['insecure-http-server'], env));
  const caFile = env.KGATE_SERVER_CA_FILE || flags['ca-file'] || env.KGATE_CA_FILE;
  return caFile ? { server, ca: await readCa(caFile) } : { server };
}

const NOT_CONFIGURED = ['Pass --server https://…, set KGATE_SERVER, or add `server: https://…` to config.yaml.'];

/** Opens a {@link PolicyClient} for the current identity. */
export async function openPolicyClient(flags: ServerFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<PolicyClient> {
  const endpoint = await policyEndpoint(flags, env);
  if (!endpoint) throw usageError('No policy service configured', NOT_CONFIGURED);
  const { session } = await openIdentity(flags, env);
  return new PolicyClient({ ...endpoint, token: async () => (await session.getToken()).token });
}

/**
 * The policy service URL, checked (see checkServerUrl) before any token is sent to it.
 * @throws KgateError `KGATE_USAGE` when none is configured.
 */
export async function serverUrlOf(flags: Pick<ServerFlagValues, 'server' | 'insecure-http-server'>, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const found = await serverSource(flags, env);
  if (!found) throw usageError('No policy service configured', NOT_CONFIGURED);
  return checkServerUrl(found.server, found.source, insecureHttpAllowed(flags['insecure-http-server'], env));
}

/** The configured policy service URL and where it came from (for messages), unchecked. */
async function serverSource(flags: Pick<ServerFlagValues, 'server'>, env: NodeJS.ProcessEnv): Promise<{ server: string; source: string } | undefined> {
  if (flags.server) return { server: flags.server, source: '--server' };
  if (env.KGATE_SERVER) return { server: env.KGATE_SERVER, source: 'KGATE_SERVER' };
  const configured = await configuredServer(env);
  return configured ? { server: configured, source: `server: in ${join(resolvePaths(env).config, 'config.yaml')}` } : undefined;
}

async function configuredServer(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(resolvePaths(env).config, 'config.yaml'), 'utf8');
  } catch {
    return undefined;
  }
  const { parse } = await import('yaml');
  const doc = parse(text) as { server?: unknown } | null;
  const value = doc?.server;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { url?: unknown }).url === 'string') return (value as { url: string }).url;
  return undefined;
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the CA file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The cluster a grant command targets: `--cluster`, else KGATE_CLUSTER. */
export function clusterOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const cluster = flag || env.KGATE_CLUSTER;
  if (!cluster) throw usageError('No cluster given', ['Pass --cluster NAME or set KGATE_CLUSTER.']);
  return cluster;
}
