/**
 * Mints an EKS token the way kgate's policy service will: the real AWS SDK assumes the role with
 * `RoleSessionName`, then a presigned STS GetCallerIdentity carries the signed `x-k8s-aws-id`
 * header, encoded as `k8s-aws-v1.<base64url, no padding>`.
 */
import { Agent } from 'node:https';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../sim/aws/sha256.js';

/** What these helpers need to know about an AWS account (SimAws fits). */
export interface AwsAccount {
  region: string;
  stsEndpoint: string;
  root: { accessKeyId: string; secretAccessKey: string };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An SDK request handler that trusts `ca` (the sim's CA). */
export function trustingHandler(ca: string): NodeHttpHandler {
  return new NodeHttpHandler({ httpsAgent: new Agent({ ca }) });
}

/** AssumeRole through the real SDK with the account's base credentials. */
export async function assumeRole(aws: AwsAccount, ca: string, roleArn: string, sessionName: string): Promise<Credentials> {
  const sts = new STSClient({ region: aws.region, endpoint: aws.stsEndpoint, credentials: aws.root, requestHandler: trustingHandler(ca) });
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    const c = out.Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  } finally {
    sts.destroy();
  }
}

/**
 * `k8s-aws-v1.<base64url(presigned GetCallerIdentity URL)>`, signed for `cluster`; a past
 * `signingDate` makes an already-expired token.
 */
export async function eksToken(aws: AwsAccount, credentials: Credentials, cluster: string, opts: { signingDate?: Date; expiresIn?: number } = {}): Promise<string> {
  const endpoint = new URL(aws.stsEndpoint);
  const signer = new SignatureV4({ service: 'sts', region: aws.region, credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, 'x-k8s-aws-id': cluster },
    },
    { signingDate: opts.signingDate ?? new Date(), expiresIn: opts.expiresIn ?? 60 },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .join('&');
  return `k8s-aws-v1.${Buffer.from(`https://${endpoint.host}/?${query}`).toString('base64url')}`;
}
