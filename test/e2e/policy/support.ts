/**
 * What the policy-service e2e tests share: real tokens from the sim IdP (client credentials for
 * machines, the device flow completed by the person driver for people), raw API calls that expose
 * status codes, and the real kubectl with a minted credential.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ClusterCredential } from '../../../src/policy/types.js';
import { approveDevice } from '../../sim/idp/person.js';
import type { MachineName, PersonName } from '../../sim/idp/provider.js';
import type { SimWorld } from '../../sim/world.js';
import { kubectl, writeKubeconfig, type KubectlResult } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';

export const TEST_POLICY = join(dirname(fileURLToPath(import.meta.url)), 'test-policy.yaml');

/** A fetch trusting only the sim CA. */
export function simFetch(world: SimWorld): { fetch: typeof undiciFetch; close(): Promise<void> } {
  const agent = new Agent({ connect: { ca: world.tls.ca.cert } });
  return { fetch: ((url: string, init: object = {}) => undiciFetch(url, { ...init, dispatcher: agent })) as typeof undiciFetch, close: () => agent.close() };
}

async function discover(world: SimWorld, clientId: string, auth: client.ClientAuth): Promise<client.Configuration> {
  const { fetch } = simFetch(world);
  return client.discovery(new URL(world.idp.issuer), clientId, undefined, auth, { [client.customFetch]: fetch as unknown as client.CustomFetch });
}

/** An access token for a machine client (client credentials, client_secret_basic). */
export async function machineToken(world: SimWorld, name: MachineName): Promise<string> {
  const config = await discover(world, name, client.ClientSecretBasic(world.idp.machines[name].clientSecret));
  return (await client.clientCredentialsGrant(config)).access_token;
}

/** An access token for a person, through the device flow they complete at the IdP's pages. */
export async function personToken(world: SimWorld, person: PersonName): Promise<string> {
  const config = await discover(world, world.idp.cliClientId, client.None());
  const device = await client.initiateDeviceAuthorization(config, { scope: 'openid profile groups' });
  const polling = client.pollDeviceAuthorizationGrant(config, device);
  await approveDevice({ verificationUri: device.verification_uri, userCode: device.user_code, username: person, password: world.idp.people[person].password, ca: world.tls.ca.cert });
  return (await polling).access_token;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the policy service as `token` and returns status and parsed body, whatever the status. */
export function apiAs(world: SimWorld, base: string, token: string | undefined) {
  const { fetch } = simFetch(world);
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers as unknown as Headers };
  };
}

/** kubectl with a credential the service minted. */
export function kubectlWith(credential: ClusterCredential, args: string[]): Promise<KubectlResult> {
  const dir = scratchDir('kgate-policy-cred-');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, Buffer.from(credential.caData, 'base64'));
  return kubectl(args, { kubeconfig: writeKubeconfig({ server: credential.server, caFile, user: { token: credential.token } }) });
}

/** Polls until `check` holds or `ms` pass. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
