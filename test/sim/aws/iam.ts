/**
 * The simulated account's identities: IAM users with long-term keys, roles with trust policies,
 * OIDC identity providers, and the temporary sessions STS hands out. STS and EKS both
 * authenticate against this one directory.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { SigningKey } from './sigv4.js';

/** Who signed a request. */
export type Principal =
  | { kind: 'user'; arn: string; userId: string; name: string }
  | { kind: 'assumed-role'; arn: string; userId: string; role: Role; session: Session };

/** An IAM role and who may assume it. */
export interface Role {
  name: string;
  arn: string;
  /** AROA… unique id, as in AssumedRoleId. */
  roleId: string;
  maxSessionDurationSeconds: number;
  /** Trusted AWS principals: user or role ARNs, or `arn:aws:iam::ACCOUNT:root` for the whole account. */
  trustedPrincipals: string[];
  /** Trusted OIDC provider ARNs (`arn:aws:iam::ACCOUNT:oidc-provider/<issuer without https://>`). */
  trustedWebIdentityProviders: string[];
}

/** An OIDC identity provider registered in the account. */
export interface WebIdentityProvider {
  issuer: string;
  arn: string;
  /** Accepted `aud` values (IAM's client ID list). */
  audiences: string[];
}

/** A session tag. */
export interface SessionTag {
  key: string;
  value: string;
}

/** Temporary credentials issued by AssumeRole or AssumeRoleWithWebIdentity. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  roleArn: string;
  sessionName: string;
  via: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  /** ARN of the caller (AssumeRole) or the provider ARN (web identity). */
  issuedTo: string;
  sourceIdentity?: string;
  tags: SessionTag[];
  transitiveTagKeys: string[];
  webIdentitySubject?: string;
  /** True when the caller was itself an assumed role (role chaining). */
  chained: boolean;
}

/** Long-term IAM user credentials. */
export interface UserKeys {
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An AWS-looking unique id: a four-letter prefix and `length` base32 characters. */
export function awsId(prefix: string, length: number): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** The identities of one simulated AWS account. */
export class Directory {
  readonly accountRootArn: string;
  private readonly users = new Map<string, { keys: UserKeys; userId: string; name: string }>();
  private readonly roles = new Map<string, Role>();
  private readonly providers = new Map<string, WebIdentityProvider>();
  private readonly sessions = new Map<string, Session>();

  constructor(readonly accountId: string) {
    this.accountRootArn = `arn:aws:iam::${accountId}:root`;
  }

  /** Creates an IAM user with one access key. */
  addUser(name: string): UserKeys {
    const keys: UserKeys = {
      arn: `arn:aws:iam::${this.accountId}:user/${name}`,
      accessKeyId: awsId('AKIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    this.users.set(keys.accessKeyId, { keys, userId: awsId('AIDA', 17), name });
    return keys;
  }

  /** Creates (or replaces) a role. */
  addRole(spec: { name: string; trustedPrincipals?: string[]; trustedWebIdentityIssuers?: string[]; maxSessionDurationSeconds?: number }): Role {
    const role: Role = {
      name: spec.name,
      arn: `arn:aws:iam::${this.accountId}:role/${spec.name}`,
      roleId: this.roles.get(spec.name)?.roleId ?? awsId('AROA', 17),
      maxSessionDurationSeconds: spec.maxSessionDurationSeconds ?? 3600,
      trustedPrincipals: spec.trustedPrincipals ?? [this.accountRootArn],
      trustedWebIdentityProviders: (spec.trustedWebIdentityIssuers ?? []).map((issuer) => this.providerArn(issuer)),
    };
    this.roles.set(spec.name, role);
    return role;
  }

  /** Registers an OIDC provider; its ARN can then appear in role trust. */
  addWebIdentityProvider(issuer: string, audiences: string[]): WebIdentityProvider {
    const provider = { issuer, arn: this.providerArn(issuer), audiences };
    this.providers.set(issuer, provider);
    return provider;
  }

  /** Lets the role be assumed with tokens from `issuer`. */
  trustWebIdentity(role: Role, issuer: string): void {
    const arn = this.providerArn(issuer);
    if (!role.trustedWebIdentityProviders.includes(arn)) role.trustedWebIdentityProviders.push(arn);
  }

  providerFor(issuer: string): WebIdentityProvider | undefined {
    return this.providers.get(issuer);
  }

  /** The role named by `arn`, if it exists in this account. */
  roleByArn(arn: string): Role | undefined {
    const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(arn);
    if (!m || m[1] !== this.accountId) return undefined;
    const role = this.roles.get(m[2]!);
    return role?.arn === arn ? role : undefined;
  }

  /** Whether the role's trust policy lets `principal` call sts:AssumeRole. */
  trusts(role: Role, principal: Principal): boolean {
    const callerArns = principal.kind === 'user' ? [principal.arn] : [principal.arn, principal.role.arn];
    return role.trustedPrincipals.some((p) => p === this.accountRootArn || callerArns.includes(p));
  }

  /** Stores a new session and returns it. */
  issueSession(fields: Omit<Session, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): Session {
    const session: Session = {
      ...fields,
      accessKeyId: awsId('ASIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
      // Real session tokens are opaque, long base64 blobs; the length matters to some clients.
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(600).toString('base64')}`,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** The signing key for an access key id, for the SigV4 verifier. */
  signingKey(accessKeyId: string): SigningKey<Principal> | undefined {
    const user = this.users.get(accessKeyId);
    if (user) {
      return {
        secretAccessKey: user.keys.secretAccessKey,
        principal: { kind: 'user', arn: user.keys.arn, userId: user.userId, name: user.name },
      };
    }
    const session = this.sessions.get(accessKeyId);
    const role = session && this.roleByArn(session.roleArn);
    if (!session || !role) return undefined;
    return {
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiresAt: session.expiresAt,
      principal: {
        kind: 'assumed-role',
        arn: assumedRoleArn(this.accountId, role, session.sessionName),
        userId: `${role.roleId}:${session.sessionName}`,
        role,
        session,
      },
    };
  }

  /** Every session issued so far, newest last. */
  allSessions(): Session[] {
    return [...this.sessions.values()];
  }

  private providerArn(issuer: string): string {
    return `arn:aws:iam::${this.accountId}:oidc-provider/${issuer.replace(/^https:\/\//, '')}`;
  }
}

/** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (the role's path is not part of it). */
export function assumedRoleArn(accountId: string, role: Role, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${role.name}/${sessionName}`;
}
