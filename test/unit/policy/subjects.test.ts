import { claimValue, matchesSubject } from '../../../src/policy/subjects.js';
import { principalId, type SubjectMatcher } from '../../../src/policy/types.js';
import { IDP, machine, person } from './fixtures.js';

const GHA = 'https://token.actions.githubusercontent.com';
const workflow = {
  issuer: GHA,
  subject: 'repo:acme/deploy:ref:refs/heads/main',
  name: 'repo:acme/deploy:ref:refs/heads/main',
  type: 'workload' as const,
  groups: [],
  claims: { repository: 'acme/deploy', ref: 'refs/heads/main', repository_id: '812345671', run_attempt: 2, 'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'runner' } } },
};

describe('matchesSubject', () => {
  const bob = person('bob', ['dev', 'qa']);
  const ci = machine('ci-deployer', ['ci']);
  it.each<[string, SubjectMatcher, boolean]>([
    ['any of the groups', { groups: ['ops', 'qa'] }, true],
    ['none of the groups', { groups: ['ops'] }, false],
    ['issuer exact', { issuer: IDP, groups: ['dev'] }, true],
    ['issuer differs by a slash', { issuer: `${IDP}/` }, false],
    ['principal by name', { principals: ['bob'] }, true],
    ['principal by issuer#subject', { principals: [principalId(person('bob', []))] }, true],
    ['principal by subject alone is not enough', { principals: ['u-bob'] }, false],
    ['client id on a person', { clientIds: ['ci-deployer'] }, false],
    ['every field must match', { groups: ['dev'], principals: ['alice'] }, false],
    ['an empty matcher admits no one', {}, false],
  ])('%s', (_name, matcher, expected) => {
    expect(matchesSubject(matcher, bob)).toBe(expected);
  });

  it('matches machines by client id', () => {
    expect(matchesSubject({ clientIds: ['mcp-agent', 'ci-deployer'] }, ci)).toBe(true);
    expect(matchesSubject({ clientIds: ['mcp-agent'] }, ci)).toBe(false);
  });

  it.each<[string, Record<string, string>, boolean]>([
    ['exact claim', { repository: 'acme/deploy' }, true],
    ['other repository', { repository: 'acme/web' }, false],
    ['glob claim', { ref: 'refs/heads/*' }, true],
    ['glob that does not match', { ref: 'refs/tags/*' }, false],
    ['numbers compared as text', { run_attempt: '2' }, true],
    ['all claims must match', { repository: 'acme/deploy', ref: 'refs/tags/*' }, false],
    ['missing claim', { environment: '*' }, false],
    ['nested claim through a dotted key', { 'kubernetes.io.namespace': 'ci' }, true],
    ['deeper nesting', { 'kubernetes.io.serviceaccount.name': 'runner' }, true],
    ['a glob does not match an object', { 'kubernetes.io': '*' }, false],
  ])('claims: %s', (_name, claims, expected) => {
    expect(matchesSubject({ issuer: GHA, claims }, workflow)).toBe(expected);
  });

  it('matches array claims when any element matches', () => {
    expect(matchesSubject({ claims: { amr: 'mf?' } }, { ...workflow, claims: { amr: ['pwd', 'mfa'] } })).toBe(true);
  });

  it('reads a literal dotted claim name before a nested path', () => {
    expect(claimValue({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(claimValue({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(claimValue({ a: 'x' }, 'a.b')).toBeUndefined();
  });
});
