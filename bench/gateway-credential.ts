/**
 * How a benchmark reaches the kgate gateway, the way a CI job does: the sim's `ci-deployer`
 * machine logs in with client credentials, asks the policy service for the `operate` grant (the
 * sample policy activates it at once) and gets a gateway credential for it. The result is an
 * endpoint like the others: the gateway's cluster URL, the credential as bearer, and a kubeconfig
 * for kubectl; `close` removes the kubeconfig.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as client from 'openid-client';
import { Agent, fetch } from 'undici';
import type { GatewayCredentialView, GrantView } from '../src/policy/server/api.js';
import { writeKubeconfig } from '../test/support/kubectl.js';
import type { Endpoint } from './support.js';

export interface GatewayCallerOptions {
  /** The policy service's URL. */
  server: string;
  /** The gateway-mode cluster. */
  cluster: string;
  /** PEM CA of the service and the IdP (the sim's). */
  ca: string;
  /** The same CA as a file, for the kubeconfig. */
  caFile: string;
  /** The sim's variables: KGATE_ISSUER, KGATE_CLIENT_ID, KGATE_CLIENT_SECRET. */
  env: Record<string, string>;
}

/** The gateway endpoint and how to remove what reaching it left on disk. */
export interface GatewayEndpoint {
  endpoint: Endpoint;
  close(): Promise<void>;
}

/** Logs in as the sim's CI machine, gets an active `operate` grant on `cluster` and a `run` gateway credential for it. */
export async function reachGateway(options: GatewayCallerOptions): Promise<GatewayEndpoint> {
  const agent = new Agent({ connect: { ca: options.ca } });
  try {
    const trusting = ((url: string, init: object = {}) => fetch(url, { ...init, dispatcher: agent })) as typeof fetch;
    const { KGATE_ISSUER: issuer, KGATE_CLIENT_ID: clientId, KGATE_CLIENT_SECRET: secret } = options.env;
    if (!issuer || !clientId || !secret) throw new Error('the sim did not name KGATE_ISSUER, KGATE_CLIENT_ID and KGATE_CLIENT_SECRET');
    const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(secret), { [client.customFetch]: trusting as unknown as client.CustomFetch });
    const identity = (await client.clientCredentialsGrant(config)).access_token;
    const post = async <T>(path: string, body: unknown): Promise<T> => {
      const response = await trusting(`${options.server}${path}`, { method: 'POST', headers: { authorization: `Bearer ${identity}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };
    const grant = await post<GrantView>('/v1/grants', { cluster: options.cluster, grant: 'operate', reason: 'kgate benchmark' });
    if (grant.state !== 'active') throw new Error(`the operate grant on ${options.cluster} is ${grant.state}, not active`);
    const credential = await post<GatewayCredentialView>(`/v1/grants/${encodeURIComponent(grant.id)}/gateway-credentials`, { purpose: 'run' });
    const url = `${options.server}${credential.path}`;
    const kubeconfig = writeKubeconfig({ server: url, caFile: options.caFile, user: { token: credential.token } });
    return {
      endpoint: { name: 'kgate gateway', url, ca: options.ca, token: credential.token, kubeconfig },
      close: () => rm(dirname(kubeconfig), { recursive: true, force: true }),
    };
  } finally {
    await agent.close();
  }
}
