import { parseCases, runCases } from '../../../src/policy/cases.js';
import { parsePolicy } from '../../../src/policy/schema/index.js';
import { BASE, positionOf } from './fixtures.js';

const policy = parsePolicy([{ file: 'p.yaml', text: BASE }]).policy!;

const CASES = `apiVersion: kgate.dev/v1alpha1
kind: PolicyTest
cases:
  - name: dev reads
    principal: { issuer: "\${IDP}", subject: u-bob, groups: [dev] }
    grant: { cluster: dev, grant: read-only, ttl: 2h, namespaces: [a] }
    expect: active
  - name: wrong expectation
    principal: { issuer: "\${IDP}", subject: u-bob, groups: [dev] }
    grant: { cluster: dev, grant: read-only, ttl: 9h }
    expect: active
  - name: namespace deletion
    principal: { issuer: "\${IDP}", subject: u-bob, groups: [dev] }
    request: { cluster: dev, verb: delete, resource: namespaces, name: x }
    expect: deny
    rule: no-ns-delete
  - name: wrong rule name
    principal: { issuer: "\${IDP}", subject: u-bob, groups: [dev] }
    request: { cluster: dev, verb: delete, resource: namespaces, name: x }
    expect: deny
    rule: other-rule
`;
const env = { IDP: 'https://idp.example.com' };

describe('policy test cases', () => {
  it('parses grant and request cases with their positions', () => {
    const { cases, issues } = parseCases({ file: 'c.yaml', text: CASES }, { env });
    expect(issues).toEqual([]);
    expect(cases?.[0]).toMatchObject({
      kind: 'grant',
      name: 'dev reads',
      at: { file: 'c.yaml', ...positionOf(CASES, 'name: dev reads') },
      principal: { issuer: env.IDP, subject: 'u-bob', name: 'u-bob', type: 'human', groups: ['dev'], claims: { iss: env.IDP, sub: 'u-bob' } },
      grant: { cluster: 'dev', grant: 'read-only', ttlMs: 7_200_000, namespaces: ['a'] },
      expect: 'active',
    });
    expect(cases?.[2]).toMatchObject({ kind: 'request', cluster: 'dev', request: { verb: 'delete', apiGroup: '', resource: 'namespaces', subresource: '', namespace: '', name: 'x' }, rule: 'no-ns-delete' });
  });

  it('runs every case and reports each mismatch, including a wrong rule', () => {
    const results = runCases(policy, parseCases({ file: 'c.yaml', text: CASES }, { env }).cases!);
    expect(results.map((r) => [r.name, r.pass, r.expected, r.actual])).toEqual([
      ['dev reads', true, 'active', 'active'],
      ['wrong expectation', false, 'active', 'denied'],
      ['namespace deletion', true, 'deny (rule no-ns-delete)', 'deny (rule no-ns-delete)'],
      ['wrong rule name', false, 'deny (rule other-rule)', 'deny (rule no-ns-delete)'],
    ]);
    expect(results[1]?.message).toBe('a TTL of 9h is above the maximum 8h of grant "read-only"; ask for 8h or less');
  });

  it.each([
    ['unknown field', '    expect: active\n  - name: wrong', '    expect: active\n    expected: active\n  - name: wrong', 'cases[0].expected', 'unknown field (did you mean "expect"?)', 'expected: active'],
    ['grant and request together', '    grant: { cluster: dev, grant: read-only, ttl: 2h, namespaces: [a] }\n', '    grant: { cluster: dev, grant: read-only, ttl: 2h, namespaces: [a] }\n    request: { cluster: dev, verb: get, resource: pods }\n', 'cases[0]', 'a case needs exactly one of grant or request', 'name: dev reads'],
    ['an expectation of the wrong kind', '    expect: deny\n    rule: no-ns-delete', '    expect: denied\n    rule: no-ns-delete', 'cases[2].expect', 'expected one of "allow", "deny", "approve", got "denied"', 'denied\n    rule: no-ns-delete'],
    ['a bad verb', 'verb: delete, resource: namespaces, name: x }\n    expect: deny\n    rule: no', 'verb: remove, resource: namespaces, name: x }\n    expect: deny\n    rule: no', 'cases[2].request.verb', /^expected one of "get", .*got "remove"$/, 'remove'],
    ['a bad ttl', 'ttl: 9h', 'ttl: nine hours', 'cases[1].grant.ttl', 'expected a duration like 15m or 1h, got "nine hours"', 'nine hours'],
  ])('reports %s at its position', (_name, from, to, path, message, at) => {
    const text = CASES.replace(from, to);
    expect(text).not.toBe(CASES);
    const { cases, issues } = parseCases({ file: 'c.yaml', text }, { env });
    expect(cases).toBeUndefined();
    expect(issues).toContainEqual({ file: 'c.yaml', ...positionOf(text, at), path, message: typeof message === 'string' ? message : expect.stringMatching(message) });
  });
});
