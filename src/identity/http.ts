import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { usageError } from '../cli/errors.js';

/** A fetch with the same shape openid-client and jose accept as their custom fetch. */
export type IdpFetch = (url: string, init?: RequestInit) => Promise<Response>;

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * A fetch that trusts the system roots plus, when given, the CA in `caFile` (a corporate or
 * the sim's CA). Loads undici only when called: the cached-token path never needs it.
 */
export async function createIdpFetch(caFile?: string): Promise<IdpFetch> {
  const { Agent, fetch } = await import('undici');
  const extra = caFile ? await readCa(caFile) : undefined;
  const agent = new Agent({
    connect: { ca: extra ? [...rootCertificates, extra] : undefined, timeout: REQUEST_TIMEOUT_MS },
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  return ((url: string, init?: RequestInit) => fetch(url, { ...(init as object), dispatcher: agent })) as unknown as IdpFetch;
}

async function readCa(caFile: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the CA file ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, ['Pass --ca-file with a PEM file or unset KGATE_CA_FILE.']);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usageError(`The CA file ${caFile} holds no PEM certificate`);
  return pem;
}
