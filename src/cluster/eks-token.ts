/**
 * The EKS bearer token, as `aws eks get-token` and aws-iam-authenticator make it: a presigned STS
 * GetCallerIdentity URL whose signature covers the header `x-k8s-aws-id: <cluster>`, encoded as
 * `k8s-aws-v1.<base64url without padding>`. The cluster accepts it for 15 minutes after X-Amz-Date.
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import { Sha256 } from './sha256.js';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** How long EKS accepts a token after its X-Amz-Date, whatever X-Amz-Expires says. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
/** What aws-iam-authenticator signs into X-Amz-Expires; the verifier ignores it. */
const PRESIGN_EXPIRES_SECONDS = 60;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** A minted token and the instant the cluster stops accepting it (epoch ms). */
export interface EksToken {
  token: string;
  expiresAt: number;
}

export interface PresignOptions {
  credentials: AwsCredentialIdentity;
  region: string;
  /** STS base URL the cluster's authenticator trusts; default the regional endpoint. */
  stsEndpoint?: string;
  /** EKS cluster name, signed into `x-k8s-aws-id`. */
  clusterName: string;
  /** Signing time, epoch ms. */
  now: number;
}

/** The regional STS endpoint for a region (`https://sts.<region>.amazonaws.com[.cn]`). */
export function defaultStsEndpoint(region: string): string {
  return `https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** `k8s-aws-v1.` + base64url (no padding) of a presigned URL. */
export function encodeEksToken(presignedUrl: string): string {
  return `${EKS_TOKEN_PREFIX}${Buffer.from(presignedUrl, 'utf8').toString('base64url')}`;
}

/** The presigned URL inside an EKS token (for tests and diagnostics); undefined when not one. */
export function decodeEksToken(token: string): string | undefined {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  return /^[A-Za-z0-9_-]+$/.test(body) ? Buffer.from(body, 'base64url').toString('utf8') : undefined;
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Presigns GetCallerIdentity for `clusterName` with `credentials` and encodes it as an EKS token. */
export async function presignEksToken(opts: PresignOptions): Promise<EksToken> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const endpoint = new URL(opts.stsEndpoint ?? defaultStsEndpoint(opts.region));
  const signer = new SignatureV4({ service: 'sts', region: opts.region, credentials: opts.credentials, sha256: Sha256 });
  const signedAt = Math.floor(opts.now / 1000) * 1000;
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, [CLUSTER_ID_HEADER]: opts.clusterName },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: new Date(signedAt) },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${rfc3986(key)}=${rfc3986(String(v))}`))
    .join('&');
  return { token: encodeEksToken(`https://${endpoint.host}/?${query}`), expiresAt: signedAt + EKS_TOKEN_LIFETIME_MS };
}
