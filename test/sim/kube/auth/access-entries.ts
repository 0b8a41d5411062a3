/**
 * EKS access entries (authenticationMode API): map a verified AWS identity to a Kubernetes username
 * and groups. Templates render like aws-iam-authenticator's `renderTemplate` (pkg/server/server.go);
 * the default username is the one EKS generates (EKS user guide, "Set a custom username").
 */
import type { AwsIdentity } from './sts-caller-identity.js';

/** One EKS access entry of type STANDARD. */
export interface AccessEntry {
  /** IAM role or user ARN; a role ARN may carry a path (arn:aws:iam::1:role/team/ci). */
  principalArn: string;
  /** Template with {{SessionName}}, {{SessionNameRaw}}, {{AccountID}}, {{AccessKeyID}}. */
  username?: string;
  kubernetesGroups?: string[];
}

/** Drops an IAM role's path: arn:aws:iam::1:role/a/b/Name → arn:aws:iam::1:role/Name. */
export function stripRolePath(arn: string): string {
  const m = /^(arn:[^:]+:iam::[^:]*:role\/)(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}${m[2]}` : arn;
}

/** Renders the access-entry template variables for an identity. `{{SessionName}}` turns `@` into `-`. */
export function renderTemplate(template: string, identity: AwsIdentity): string {
  return template
    .replaceAll('{{AccountID}}', identity.accountId)
    .replaceAll('{{SessionName}}', identity.sessionName.replaceAll('@', '-'))
    .replaceAll('{{SessionNameRaw}}', identity.sessionName)
    .replaceAll('{{AccessKeyID}}', identity.accessKeyId);
}

/**
 * The username EKS generates when an entry has none: the user ARN for IAM users, and for roles the
 * assumed-role ARN (role path removed) ending in the session name.
 */
export function defaultUsernameTemplate(principalArn: string): string {
  const role = /^arn:([^:]+):iam::([^:]*):role\/(?:.*\/)?([^/]+)$/.exec(principalArn);
  if (!role) return principalArn;
  return `arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}/{{SessionName}}`;
}

/** The entry for an identity: compares the canonical ARN with each principal ARN, role paths ignored. */
export function findAccessEntry(entries: readonly AccessEntry[], identity: AwsIdentity): AccessEntry | undefined {
  return entries.find((e) => stripRolePath(e.principalArn) === stripRolePath(identity.canonicalArn));
}

/** Username and groups for an identity under its entry. */
export function mapIdentity(entry: AccessEntry, identity: AwsIdentity): { username: string; groups: string[] } {
  const username = renderTemplate(entry.username ?? defaultUsernameTemplate(entry.principalArn), identity);
  const groups = (entry.kubernetesGroups ?? []).map((g) => renderTemplate(g, identity));
  return { username, groups };
}
