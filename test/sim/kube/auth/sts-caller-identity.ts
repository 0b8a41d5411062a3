/**
 * Performs the presigned sts:GetCallerIdentity an EKS token carries and turns the answer into the
 * identity aws-iam-authenticator derives from it (pkg/token/token.go `getIdentityFromSTSResponse`,
 * pkg/arn/arn.go `Canonicalize`).
 */
import { request } from 'node:https';
import { CLUSTER_ID_HEADER, EksTokenError } from './eks-token-format.js';

/** The AWS identity behind a verified token. */
export interface AwsIdentity {
  /** ARN as STS returned it, e.g. arn:aws:sts::111122223333:assumed-role/Role/session. */
  arn: string;
  /** IAM form: assumed roles become arn:aws:iam::ACCOUNT:role/ROLE. */
  canonicalArn: string;
  principalType: 'role' | 'assumed-role' | 'user' | 'root' | 'federated-user';
  accountId: string;
  /** Unique principal id (AROA…/AIDA…), without the session part. */
  userId: string;
  /** STS session name for assumed roles, else "". */
  sessionName: string;
  accessKeyId: string;
}

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']);
const MAX_BODY_BYTES = 1 << 20;
const STS_TIMEOUT_MS = 10_000;

function stsError(message: string): EksTokenError {
  return new EksTokenError('sts', message);
}

/** Canonicalizes a caller ARN like aws-iam-authenticator; throws on principals it does not accept. */
export function canonicalizeArn(arn: string): { principalType: AwsIdentity['principalType']; canonicalArn: string } {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') throw stsError(`arn '${arn}' is invalid`);
  const [, partition, service, , account] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(':');
  if (!PARTITIONS.has(partition)) throw stsError(`arn '${arn}' does not have a recognized partition`);
  const segments = resource.split('/');
  const kind = segments[0];
  if (service === 'sts' && kind === 'federated-user') return { principalType: 'federated-user', canonicalArn: arn };
  if (service === 'sts' && kind === 'assumed-role') {
    if (segments.length < 3) throw stsError(`assumed-role arn '${arn}' does not have a role`);
    const role = segments.slice(1, -1).join('/');
    return { principalType: 'assumed-role', canonicalArn: `arn:${partition}:iam::${account}:role/${role}` };
  }
  if (service === 'iam' && (kind === 'role' || kind === 'user' || kind === 'root')) return { principalType: kind, canonicalArn: arn };
  throw stsError(`unrecognized resource ${resource} for service ${service}`);
}

function xmlText(xml: string, element: string): string {
  const m = new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml);
  if (!m) return '';
  return m[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Reads Arn, Account and UserId from a GetCallerIdentity answer in JSON (as asked) or XML. */
export function parseCallerIdentity(body: string, contentType: string): { arn: string; account: string; userId: string } {
  if (contentType.includes('json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw stsError((e as Error).message);
    }
    const result = (parsed as { GetCallerIdentityResponse?: { GetCallerIdentityResult?: Record<string, unknown> } })
      ?.GetCallerIdentityResponse?.GetCallerIdentityResult ?? {};
    return { arn: String(result.Arn ?? ''), account: String(result.Account ?? ''), userId: String(result.UserId ?? '') };
  }
  const result = /<GetCallerIdentityResult>([\s\S]*)<\/GetCallerIdentityResult>/.exec(body)?.[1];
  if (result === undefined) throw stsError('unexpected response: no GetCallerIdentityResult');
  return { arn: xmlText(result, 'Arn'), account: xmlText(result, 'Account'), userId: xmlText(result, 'UserId') };
}

/** Builds the identity; the UserId of roles is "ID:session", of users, roots and federated users the whole id. */
export function identityFrom(result: { arn: string; account: string; userId: string }, accessKeyId: string): AwsIdentity {
  const { principalType, canonicalArn } = canonicalizeArn(result.arn);
  let userId = result.userId;
  let sessionName = '';
  if (principalType === 'role' || principalType === 'assumed-role') {
    const parts = result.userId.split(':');
    if (parts.length !== 2) throw stsError(`malformed UserID ${JSON.stringify(result.userId)}`);
    [userId, sessionName] = parts as [string, string];
  }
  return { arn: result.arn, canonicalArn, principalType, accountId: result.account, userId, sessionName, accessKeyId };
}

/**
 * GETs the presigned URL with the cluster id header (no redirects followed), trusting `ca`.
 * @throws EksTokenError of kind `sts` on transport errors, non-200 answers or unusable bodies
 */
export function fetchCallerIdentity(url: string, clusterId: string, ca: string | undefined): Promise<{ body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, headers: { [CLUSTER_ID_HEADER]: clusterId, accept: 'application/json' }, timeout: STS_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error('response too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(stsError(`error from AWS (expected 200, got ${res.statusCode}). Body: ${body}`));
        else resolve({ body, contentType: String(res.headers['content-type'] ?? '') });
      });
      res.on('error', (e) => reject(stsError(`error reading HTTP result: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => reject(stsError(`error during GET: ${e.message}`)));
    req.end();
  });
}
