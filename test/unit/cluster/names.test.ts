import { describe, expect, it } from '@jest/globals';
import { bindingScope, isStale } from '../../../src/cluster/bindings.js';
import type { ClusterError } from '../../../src/cluster/errors.js';
import {
  MANAGED_SELECTOR, checkClusterRole, checkGrantId, eksUsername, grantAnnotations, grantLabels, grantObjectName, grantSelector,
  grantSessionName, principalName, rfc3339,
} from '../../../src/cluster/names.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as ClusterError).code;
  }
  return 'no error';
};

describe('grant ids', () => {
  it.each(['a', 'abc123', 'x-y', 'a'.repeat(51)])('accepts %s', (id) => {
    expect(checkGrantId(id)).toBe(id);
    expect(grantObjectName(id)).toBe(`kgate-grant-${id}`);
    expect(grantSessionName(id)).toBe(`grant-${id}`);
    expect(grantSelector(id)).toBe(`kgate.dev/grant=${id}`);
  });

  it.each(['', 'A', '-a', 'a-', 'a_b', 'a.b', 'a'.repeat(52), 'x,kgate.dev/grant', 'a=b', 'a b', 'ä', '../x', 'a\nb'])('refuses %j', (id) => {
    expect(code(() => checkGrantId(id))).toBe('KGATE_CLUSTER_INVALID_NAME');
    expect(code(() => grantSelector(id))).toBe('KGATE_CLUSTER_INVALID_NAME');
  });

  it('keeps every derived name within its Kubernetes and STS limit', () => {
    const longest = 'a'.repeat(51);
    expect(grantObjectName(longest)).toHaveLength(63);
    expect(grantSessionName(longest).length).toBeLessThanOrEqual(64);
    expect(grantLabels(longest)).toEqual({ 'kgate.dev/grant': longest, 'app.kubernetes.io/managed-by': 'kgate' });
  });
});

describe('selectors', () => {
  it('selects kgate-managed objects that carry a grant label', () => {
    expect(MANAGED_SELECTOR).toBe('app.kubernetes.io/managed-by=kgate,kgate.dev/grant');
  });
});

describe('principal names', () => {
  it.each([
    ['alice', 'alice'],
    ['alice@example.com', 'alice@example.com'],
    ['repo:org/app:ref:refs/heads/main', 'repo-org-app-ref-refs-heads-main'],
    ['system:serviceaccount:ci:deployer', 'system-serviceaccount-ci-deployer'],
    ['Zoë Smith', 'Zo--Smith'],
    ['aws:root', 'aws-root'],
    ['a', 'a_'],
  ])('%j → %j', (name, expected) => {
    expect(principalName({ name, subject: 's' })).toBe(expected);
  });

  it('falls back to the subject, and keeps long names distinct within 64 characters', () => {
    expect(principalName({ name: '', subject: 'sub-1' })).toBe('sub-1');
    const a = principalName({ name: `${'x'.repeat(70)}a`, subject: 's' });
    const b = principalName({ name: `${'x'.repeat(70)}b`, subject: 's' });
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\w+=,.@-]+$/);
  });

  it('annotates expiry in RFC 3339 and the sanitised principal', () => {
    expect(grantAnnotations(Date.UTC(2030, 0, 2, 3, 4, 5, 678), { name: 'repo:x', subject: 's' })).toEqual({
      'kgate.dev/expires-at': '2030-01-02T03:04:05Z',
      'kgate.dev/principal': 'repo-x',
    });
    expect(rfc3339(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe('EKS usernames', () => {
  const role = 'arn:aws:iam::111122223333:role/kgate-eks-access';
  it('fills the session name and account', () => {
    expect(eksUsername('kgate:{{SessionName}}', 'abc', role)).toBe('kgate:grant-abc');
    expect(eksUsername('{{AccountID}}:{{SessionNameRaw}}', 'abc', role)).toBe('111122223333:grant-abc');
  });
  it.each(['kgate:{{AccessKeyID}}:{{SessionName}}', 'kgate-static', '{{SessionName}}{{Unknown}}'])('refuses %j', (template) => {
    expect(code(() => eksUsername(template, 'abc', role))).toBe('KGATE_CLUSTER_CONFIG');
  });
});

describe('binding scope', () => {
  it('is cluster-wide only for exactly ["*"]', () => {
    expect(bindingScope(['*'])).toBeNull();
    expect(bindingScope(['prod', 'staging', 'prod'])).toEqual(['prod', 'staging']);
  });
  it.each([[[]], [['*', 'prod']], [['Prod']], [['a/b']], [['kube-system?x=1']]])('refuses %j', (namespaces) => {
    expect(code(() => bindingScope(namespaces))).toBe('KGATE_CLUSTER_INVALID_NAME');
  });
  it('checks role names', () => {
    expect(checkClusterRole('system:aggregate-to-view')).toBe('system:aggregate-to-view');
    expect(code(() => checkClusterRole('../admin'))).toBe('KGATE_CLUSTER_INVALID_NAME');
    expect(code(() => checkClusterRole(''))).toBe('KGATE_CLUSTER_INVALID_NAME');
  });
});

describe('reconcile decisions', () => {
  const now = Date.UTC(2030, 0, 1);
  const ref = (id: string, expiresAt?: string) => ({ labels: { 'kgate.dev/grant': id }, annotations: (expiresAt ? { 'kgate.dev/expires-at': expiresAt } : {}) as Record<string, string> });
  const active = new Set(['keep']);
  it.each([
    ['an active grant before its expiry', ref('keep', '2030-01-01T00:00:01Z'), false],
    ['an active grant without an expiry annotation', ref('keep'), false],
    ['an active grant past its expiry', ref('keep', '2030-01-01T00:00:00Z'), true],
    ['an unknown grant', ref('gone', '2031-01-01T00:00:00Z'), true],
    ['a label that is no grant id', ref('Not A Grant'), true],
  ])('%s → stale %s', (_what, object, stale) => {
    expect(isStale(object, active, now)).toBe(stale);
  });
});
