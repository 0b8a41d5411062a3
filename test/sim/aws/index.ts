/**
 * The simulated AWS account: STS and EKS endpoints over HTTPS on loopback, sharing one
 * directory of users, roles, OIDC providers and issued sessions.
 */
import type { SimTls } from '../tls.js';
import { AwsCounters } from './counters.js';
import { startEks, type ClusterSpec } from './eks.js';
import { Directory, type Session, type SessionTag, type UserKeys } from './iam.js';
import { startSts } from './sts.js';

export type { ClusterSpec } from './eks.js';
export type { SessionTag, UserKeys } from './iam.js';

/** A trusted OIDC issuer for AssumeRoleWithWebIdentity. */
export interface WebIdentityIssuer {
  /** Exactly the tokens' `iss`, an https URL serving `/.well-known/openid-configuration`. */
  issuer: string;
  /** Accepted `aud`; default `sts.amazonaws.com`. */
  audience?: string;
}

export interface StartAwsOptions {
  tls: SimTls;
  /** Default `us-east-1`; requests must be signed for this region. */
  region?: string;
  /** Default `111122223333`. */
  accountId?: string;
  webIdentityIssuers?: WebIdentityIssuer[];
  log?: (line: string) => void;
  /** The sim's clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /**
   * How long a presigned STS URL lives after X-Amz-Date: `x-amz-expires` (the SigV4 rule,
   * default) or `fifteen-minutes` (what real STS does, ignoring X-Amz-Expires).
   */
  presignedLifetime?: 'x-amz-expires' | 'fifteen-minutes';
}

/** A role to create with {@link SimAws.addRole}. */
export interface RoleSpec {
  name: string;
  /** User/role ARNs, or `arn:aws:iam::ACCOUNT:root` for the whole account (the default). */
  trustedPrincipals?: string[];
  /** Issuer URLs (registered with `webIdentityIssuers` or `addWebIdentityIssuer`) whose tokens may assume it. */
  trustedWebIdentityIssuers?: string[];
  /** MaxSessionDuration in seconds, 3600..43200; default 3600. */
  maxSessionDurationSeconds?: number;
}

/** What the sim remembers about an issued session (no secrets). */
export interface SessionInfo {
  accessKeyId: string;
  arn: string;
  roleArn: string;
  sessionName: string;
  via: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  /** Caller ARN (AssumeRole) or OIDC provider ARN (web identity). */
  issuedTo: string;
  expiration: Date;
  sourceIdentity?: string;
  tags: SessionTag[];
  transitiveTagKeys: string[];
  webIdentitySubject?: string;
}

/** A running simulated AWS account. */
export interface SimAws {
  region: string;
  accountId: string;
  /** `https://127.0.0.1:<port>`; sign for service `sts` in {@link region}. */
  stsEndpoint: string;
  /** `https://127.0.0.1:<port>`; sign for service `eks` in {@link region}. */
  eksEndpoint: string;
  /**
   * Long-term access keys of the IAM user `arn:aws:iam::ACCOUNT:user/kgate-sim-admin`. (Real
   * STS refuses AssumeRole for the account root user, so the base identity is an IAM user.)
   */
  root: { accessKeyId: string; secretAccessKey: string };
  /** `arn:aws:iam::ACCOUNT:role/kgate-eks-access`, trusted by the account and by every configured issuer; MaxSessionDuration 12 h. */
  roleArn: string;
  /** Creates (or replaces) a role and returns its ARN. */
  addRole(spec: RoleSpec): string;
  /** Creates an IAM user with one access key. */
  addUser(name: string): UserKeys;
  /** Registers an OIDC issuer and trusts it on {@link roleArn}. */
  addWebIdentityIssuer(issuer: WebIdentityIssuer): void;
  /** Registers (or replaces) a cluster for DescribeCluster. */
  addCluster(spec: ClusterSpec): void;
  /** Sessions issued so far, oldest first. */
  sessions(): SessionInfo[];
  /** Request counts: `sts:<Action>`, `sts:<Action>:<Code>`, `eks:<Operation>`, `eks:<Operation>:<ErrorType>`. */
  stats(): Record<string, number>;
  close(): Promise<void>;
}

const DEFAULT_ROLE = 'kgate-eks-access';
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';

/** Starts simulated STS and EKS endpoints for one account. */
export async function startAws(opts: StartAwsOptions): Promise<SimAws> {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '111122223333';
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? Date.now;
  const directory = new Directory(accountId);
  const counters = new AwsCounters();
  const admin = directory.addUser('kgate-sim-admin');
  const issuers = opts.webIdentityIssuers ?? [];
  for (const i of issuers) directory.addWebIdentityProvider(i.issuer, [i.audience ?? DEFAULT_AUDIENCE]);
  const role = directory.addRole({
    name: DEFAULT_ROLE,
    trustedWebIdentityIssuers: issuers.map((i) => i.issuer),
    maxSessionDurationSeconds: 43200,
  });
  const common = { tls: opts.tls, directory, region, now, log, counters };
  const sts = await startSts({ ...common, presignedLifetime: opts.presignedLifetime ?? 'x-amz-expires' });
  const eks = await startEks(common).catch(async (err: unknown) => {
    await sts.close();
    throw err;
  });
  return {
    region,
    accountId,
    stsEndpoint: sts.url,
    eksEndpoint: eks.url,
    root: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    roleArn: role.arn,
    addRole: (spec) => directory.addRole(spec).arn,
    addUser: (name) => directory.addUser(name),
    addWebIdentityIssuer: (i) => {
      directory.addWebIdentityProvider(i.issuer, [i.audience ?? DEFAULT_AUDIENCE]);
      directory.trustWebIdentity(role, i.issuer);
    },
    addCluster: (spec) => eks.addCluster(spec),
    sessions: () => directory.allSessions().map((s) => sessionInfo(s, accountId)),
    stats: () => counters.snapshot(),
    close: async () => {
      await Promise.all([sts.close(), eks.close()]);
    },
  };
}

function sessionInfo(s: Session, accountId: string): SessionInfo {
  const roleName = s.roleArn.slice(s.roleArn.lastIndexOf('/') + 1);
  return {
    accessKeyId: s.accessKeyId,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${s.sessionName}`,
    roleArn: s.roleArn,
    sessionName: s.sessionName,
    via: s.via,
    issuedTo: s.issuedTo,
    expiration: new Date(s.expiresAt),
    ...(s.sourceIdentity !== undefined ? { sourceIdentity: s.sourceIdentity } : {}),
    tags: s.tags.map((t) => ({ ...t })),
    transitiveTagKeys: [...s.transitiveTagKeys],
    ...(s.webIdentitySubject !== undefined ? { webIdentitySubject: s.webIdentitySubject } : {}),
  };
}
