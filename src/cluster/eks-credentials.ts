/**
 * Grant-scoped EKS credentials: the service assumes the cluster's role as session `grant-<id>`
 * (source identity and session tags name the principal, so CloudTrail and the cluster's audit show
 * who), then presigns GetCallerIdentity for the cluster. Also the service's own EKS token, for
 * managing bindings, from its ambient identity without any AssumeRole.
 */
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ClusterCredential, Grant } from '../policy/types.js';
import { awsError } from './aws-errors.js';
import type { AwsClients, EksClusterConfig } from './aws-clients.js';
import type { EksClusterInfo } from './eks-cluster-info.js';
import { EKS_TOKEN_LIFETIME_MS, presignEksToken, type EksToken } from './eks-token.js';
import { assertActive } from './grant-state.js';
import { checkGrantId, grantSessionName, principalName } from './names.js';

/** Session tag keys on every grant session. */
export const GRANT_TAG = 'kgate-grant';
export const PRINCIPAL_TAG = 'kgate-principal';

/** A session is reused only while a token signed with it would live its full 15 minutes (plus slack). */
const REUSE_MARGIN_MS = EKS_TOKEN_LIFETIME_MS + 60_000;
const MAX_CACHED_SESSIONS = 10_000;

interface SessionEntry {
  credentials: Promise<AwsCredentialIdentity>;
  /** Epoch ms; Infinity until the session is known. */
  expiresAt: number;
}

/** Mints EKS tokens for grants (through AssumeRole) and for the service itself. */
export class EksCredentials {
  private readonly sessions = new Map<string, SessionEntry>();

  constructor(
    private readonly config: EksClusterConfig,
    private readonly aws: AwsClients,
    private readonly info: EksClusterInfo,
    private readonly now: () => number,
  ) {}

  /**
   * `{server, caData, token, expiresAt}` for an active grant; `expiresAt` is X-Amz-Date + 15 min.
   * @throws ClusterError
   */
  async credential(grant: Grant): Promise<ClusterCredential> {
    checkGrantId(grant.id);
    assertActive(grant, this.now());
    const [endpoint, credentials] = await Promise.all([this.info.get(), this.sessionFor(grant)]);
    const token = await this.presign(credentials);
    return { server: endpoint.server, caData: endpoint.caData, ...token };
  }

  /** An EKS token for the service's own ambient identity (no AssumeRole). */
  async serviceToken(): Promise<EksToken> {
    return this.presign(await this.aws.ownCredentials());
  }

  /** Forgets the grant's assumed-role session, so nothing is minted from it any more. */
  forget(grantId: string): void {
    this.sessions.delete(grantId);
  }

  /** Forgets every cached session. */
  clear(): void {
    this.sessions.clear();
  }

  private presign(credentials: AwsCredentialIdentity): Promise<EksToken> {
    return presignEksToken({
      credentials,
      region: this.config.region,
      ...(this.config.stsEndpoint ? { stsEndpoint: this.config.stsEndpoint } : {}),
      clusterName: this.config.clusterName,
      now: this.now(),
    });
  }

  private sessionFor(grant: Grant): Promise<AwsCredentialIdentity> {
    const cached = this.sessions.get(grant.id);
    if (cached && cached.expiresAt - this.now() > REUSE_MARGIN_MS) return cached.credentials;
    this.evictExpired();
    const entry: SessionEntry = { credentials: this.assumeRole(grant), expiresAt: Number.POSITIVE_INFINITY };
    this.sessions.set(grant.id, entry);
    entry.credentials.then(
      (c) => (entry.expiresAt = c.expiration?.getTime() ?? this.now() + REUSE_MARGIN_MS),
      () => {
        if (this.sessions.get(grant.id) === entry) this.sessions.delete(grant.id);
      },
    );
    return entry.credentials;
  }

  private async assumeRole(grant: Grant): Promise<AwsCredentialIdentity> {
    const [sts, { AssumeRoleCommand }] = await Promise.all([this.aws.sts(), import('@aws-sdk/client-sts')]);
    const principal = principalName(grant.principal);
    let out;
    try {
      out = await sts.send(new AssumeRoleCommand({
        RoleArn: this.config.roleArn,
        RoleSessionName: grantSessionName(grant.id),
        SourceIdentity: principal,
        Tags: [{ Key: GRANT_TAG, Value: grant.id }, { Key: PRINCIPAL_TAG, Value: principal }],
      }));
    } catch (error) {
      throw awsError(error, `sts:AssumeRole on ${this.config.roleArn}`);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw awsError({ name: 'IncompleteCredentials', message: 'AssumeRole returned no credentials' }, `sts:AssumeRole on ${this.config.roleArn}`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [id, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(id);
    if (this.sessions.size >= MAX_CACHED_SESSIONS) this.sessions.clear();
  }
}
