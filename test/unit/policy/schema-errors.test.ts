import { parsePolicy, type PolicyIssue } from '../../../src/policy/schema/index.js';
import { BASE, mutate, positionOf } from './fixtures.js';

const FILE = 'policy.yaml';

function issuesOf(text: string, env: Record<string, string> = {}): PolicyIssue[] {
  const { policy, issues } = parsePolicy([{ file: FILE, text }], { env });
  if (issues.length > 0) expect(policy).toBeUndefined();
  return issues;
}

interface ErrorCase {
  name: string;
  from: string;
  to: string;
  path: string;
  message: string | RegExp;
  /** Where the issue must point: the first occurrence of this text in the broken file. */
  at: string;
  env?: Record<string, string>;
}

const CASES: ErrorCase[] = [
  { name: 'YAML syntax error', from: 'clusters: [dev]', to: 'clusters: [dev', path: '', message: /^invalid YAML: /, at: 'clusterRole: view' },
  { name: 'duplicate key', from: '      clusterRole: view\n', to: '      clusterRole: view\n      clusterRole: edit\n', path: '', message: 'invalid YAML: Map keys must be unique', at: 'clusterRole: edit' },
  { name: 'unknown field, near miss', from: '      maxTTL: 8h', to: '      maxTTL: 8h\n      defaultTtl: 1h', path: 'spec.grants[0].defaultTtl', message: 'unknown field (did you mean "defaultTTL"?)', at: 'defaultTtl' },
  { name: 'unknown field, no near miss', from: '  name: test', to: '  name: test\n  owner: me', path: 'metadata.owner', message: 'unknown field (known fields: name, labels, annotations)', at: 'owner' },
  { name: 'unknown field for the cluster type', from: '      kubeconfig: /etc/kgate/dev.kubeconfig', to: '      kubeconfig: /etc/kgate/dev.kubeconfig\n      region: us-east-1', path: 'spec.clusters[0].region', message: 'unknown field for a cluster of type kubernetes (known fields: name, type, access, kubeconfig, context)', at: 'region: us-east-1' },
  { name: 'wrong type: list expected', from: 'clusters: [dev]', to: 'clusters: dev', path: 'spec.grants[0].clusters', message: 'expected a list, got "dev"', at: 'dev\n      clusterRole' },
  { name: 'wrong type: number for a string', from: 'clusterRole: view', to: 'clusterRole: 123', path: 'spec.grants[0].clusterRole', message: 'expected a ClusterRole name like "view", got 123 (quote it to make it a string)', at: '123' },
  { name: 'missing required field', from: '      clusterRole: view\n', to: '', path: 'spec.grants[0].clusterRole', message: 'required field is missing', at: 'name: read-only' },
  { name: 'bad duration', from: 'maxTTL: 8h', to: 'maxTTL: forever', path: 'spec.grants[0].maxTTL', message: 'expected a duration like 15m or 1h, got "forever"', at: 'forever' },
  { name: 'bare number duration', from: 'maxTTL: 8h', to: 'maxTTL: 3600', path: 'spec.grants[0].maxTTL', message: 'expected a duration like 15m or 1h, got 3600', at: '3600' },
  { name: 'duration out of range', from: 'maxTTL: 8h', to: 'maxTTL: 30d', path: 'spec.grants[0].maxTTL', message: 'expected a duration from 1s to 7d, got "30d"', at: '30d' },
  { name: 'defaultTTL above maxTTL', from: 'maxTTL: 8h', to: 'maxTTL: 1h\n      defaultTTL: 2h', path: 'spec.grants[0].defaultTTL', message: 'expected defaultTTL to be at most maxTTL', at: '2h' },
  { name: 'unknown cluster reference', from: 'clusters: [dev]', to: 'clusters: [dve]', path: 'spec.grants[0].clusters[0]', message: 'no cluster named "dve" in spec.clusters (did you mean "dev"?)', at: 'dve' },
  { name: 'bad enum with suggestion', from: 'effect: deny', to: 'effect: approval', path: 'spec.rules[0].effect', message: 'expected one of "allow", "deny", "approve", got "approval" (did you mean "approve"?)', at: 'approval' },
  { name: 'unknown cluster type', from: 'type: kubernetes', to: 'type: gke', path: 'spec.clusters[0].type', message: 'expected one of "eks", "kubernetes", got "gke"', at: 'gke' },
  { name: 'bad verb', from: 'verbs: [delete]', to: 'verbs: [delet]', path: 'spec.rules[0].match.verbs[0]', message: /got "delet" \(did you mean "delete"\?\)$/, at: 'delet]' },
  { name: 'approval count zero', from: '      subjects:\n', to: '      approval: { groups: [leads], count: 0 }\n      subjects:\n', path: 'spec.grants[0].approval.count', message: 'expected a whole number from 1 to 10, got 0', at: '0 }' },
  { name: 'approval count too high', from: '      subjects:\n', to: '      approval: { groups: [leads], count: 11 }\n      subjects:\n', path: 'spec.grants[0].approval.count', message: 'expected a whole number from 1 to 10, got 11', at: '11 }' },
  { name: 'approval without groups', from: '      subjects:\n', to: '      approval: { count: 1 }\n      subjects:\n', path: 'spec.grants[0].approval.groups', message: 'required field is missing', at: '{ count: 1 }' },
  { name: 'usernameTemplate without SessionName', from: 'role/kgate', to: 'role/kgate\n      usernameTemplate: "kgate:{{AccountID}}"', path: 'spec.clusters[1].usernameTemplate', message: 'expected a template containing {{SessionName}} (the grant\'s role session), got "kgate:{{AccountID}}"', at: '"kgate:{{AccountID}}"' },
  { name: 'approve without approvers', from: 'effect: deny', to: 'effect: approve', path: 'spec.rules[0].approval', message: 'effect approve needs approval: {groups: [...]} naming who may approve', at: 'name: no-ns-delete' },
  { name: 'approval on a deny rule', from: 'message: no', to: 'message: no\n      approval: { groups: [leads] }', path: 'spec.rules[0].approval', message: 'approval is only used with effect approve, not deny', at: '{ groups: [leads] }' },
  { name: 'deny without message', from: '      message: no\n', to: '', path: 'spec.rules[0].message', message: 'required field is missing', at: 'name: no-ns-delete' },
  { name: 'glob that does not compile', from: 'resources: [namespaces] }', to: 'resources: [namespaces], namespaces: ["team-[ab"] }', path: 'spec.rules[0].match.namespaces[0]', message: 'unclosed "[" at position 6 in glob "team-[ab"', at: '"team-[ab"' },
  { name: 'resource pattern', from: 'resources: [namespaces]', to: 'resources: [Pods/Exec]', path: 'spec.rules[0].match.resources[0]', message: 'expected a resource like "pods", "pods/exec", "*/exec" or "*", got "Pods/Exec"', at: 'Pods/Exec' },
  { name: 'regex detector that does not compile', from: 'spec:\n', to: 'spec:\n  masking:\n    detectors: ["/([a-z/"]\n', path: 'spec.masking.detectors[0]', message: /^invalid regular expression: /, at: '"/([a-z/"' },
  { name: 'unknown detector', from: 'spec:\n', to: 'spec:\n  masking:\n    detectors: [jwts]\n', path: 'spec.masking.detectors[0]', message: /got "jwts" \(did you mean "jwt"\?\)$/, at: 'jwts' },
  { name: 'http issuer off loopback', from: 'https://idp.example.com', to: 'http://idp.example.com', path: 'spec.identity.issuers[0].issuer', message: 'expected an https URL (http only for 127.0.0.1, ::1 or localhost), got "http://idp.example.com"', at: 'http://' },
  { name: 'not a URL', from: 'https://idp.example.com', to: 'idp.example.com', path: 'spec.identity.issuers[0].issuer', message: 'expected an https URL, got "idp.example.com"', at: 'idp.example.com' },
  { name: 'unset environment variable', from: 'https://idp.example.com', to: '${IDP_URL}', path: 'spec.identity.issuers[0].issuer', message: 'environment variable IDP_URL is not set (use ${NAME:-default} for a default)', at: '${IDP_URL}' },
  { name: 'environment variable where not allowed', from: 'clusterRole: view', to: 'clusterRole: ${ROLE}', path: 'spec.grants[0].clusterRole', message: '"${ROLE}" contains ${…}, but environment variables are expanded only in endpoints, caFile, kubeconfig and issuer URLs', at: '${ROLE}', env: { ROLE: 'view' } },
  { name: 'wrong apiVersion', from: 'kgate.dev/v1alpha1', to: 'kgate.dev/v1', path: 'apiVersion', message: 'expected "kgate.dev/v1alpha1", got "kgate.dev/v1"', at: 'kgate.dev/v1' },
  { name: 'wrong kind', from: 'kind: Policy', to: 'kind: Policies', path: 'kind', message: 'expected "Policy", got "Policies"', at: 'Policies' },
  { name: 'duplicate name in one file', from: '  rules:\n', to: '    - name: read-only\n      clusters: [dev]\n      clusterRole: edit\n      namespaces: [apps]\n      maxTTL: 1h\n      subjects: [{ groups: [dev] }]\n  rules:\n', path: 'spec.grants[1].name', message: `duplicate grant "read-only": also defined at ${FILE}:19:13 (spec.grants[0].name)`, at: 'read-only\n      clusters: [dev]\n      clusterRole: edit' },
  { name: 'subject from an untrusted issuer', from: '- groups: [dev]', to: '- issuer: https://other.example.com\n          claims: { repository: acme/app }', path: 'spec.grants[0].subjects[0].issuer', message: 'issuer "https://other.example.com" is not in spec.identity.issuers, so no token from it is ever accepted', at: 'https://other' },
  { name: 'empty subject', from: '- groups: [dev]', to: '- {}', path: 'spec.grants[0].subjects[0]', message: 'a subject needs at least one of groups, clientIds, issuer, claims, principals', at: '{}' },
  { name: '"*" with other namespaces', from: 'namespaces: ["*"]', to: 'namespaces: ["*", apps]', path: 'spec.grants[0].namespaces', message: '"*" already means every namespace: list either "*" or namespace names', at: '["*", apps]' },
  { name: 'namespace that is not a DNS label', from: 'namespaces: ["*"]', to: 'namespaces: [Apps_1]', path: 'spec.grants[0].namespaces[0]', message: 'expected a namespace name or "*", got "Apps_1"', at: 'Apps_1' },
  { name: 'grant name that would inject into labels', from: 'name: read-only', to: 'name: "read only/x"', path: 'spec.grants[0].name', message: /^expected a lowercase DNS label like "read-only"/, at: '"read only/x"' },
  { name: 'non-string field name', from: '      maxTTL: 8h', to: '      maxTTL: 8h\n      42: x', path: 'spec.grants[0]', message: 'expected field names to be strings, got 42', at: '42: x' },
  { name: 'boolean expected', from: '      maxTTL: 8h', to: '      maxTTL: 8h\n      reasonRequired: yes', path: 'spec.grants[0].reasonRequired', message: 'expected true or false, got "yes"', at: 'yes' },
  { name: 'role ARN', from: 'arn:aws:iam::111122223333:role/kgate', to: 'arn:aws:iam::1111:role/kgate', path: 'spec.clusters[1].roleArn', message: /^expected an IAM role ARN like/, at: 'arn:aws:iam::1111' },
];

describe('policy validation errors: each class with its exact position', () => {
  it.each(CASES)('$name', ({ from, to, path, message, at, env }) => {
    const text = mutate(BASE, from, to);
    const issues = issuesOf(text, env);
    const expected = { file: FILE, ...positionOf(text, at), path };
    const match = issues.find((i) => i.path === path && (typeof message === 'string' ? i.message === message : message.test(i.message)));
    expect({ issues, match }).toEqual({ issues, match: { ...expected, message: expect.anything() } });
  });

  it('accepts the base policy', () => {
    expect(parsePolicy([{ file: FILE, text: BASE }]).issues).toEqual([]);
  });

  it('allows http only on loopback', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://[::1]:8080/realms/x', 'http://localhost:9000']) {
      expect(issuesOf(mutate(BASE, 'https://idp.example.com', url))).toEqual([]);
    }
  });

  it('expands ${NAME} and ${NAME:-default} where allowed', () => {
    const text = mutate(BASE, 'https://idp.example.com', '${IDP_URL}');
    expect(parsePolicy([{ file: FILE, text }], { env: { IDP_URL: 'https://127.0.0.1:1234' } }).policy?.issuers[0]?.issuer).toBe('https://127.0.0.1:1234');
    const withDefault = mutate(BASE, 'https://idp.example.com', '${IDP_URL:-https://fallback.example.com}');
    expect(parsePolicy([{ file: FILE, text: withDefault }]).policy?.issuers[0]?.issuer).toBe('https://fallback.example.com');
  });

  it('reports many issues at once, in file order', () => {
    let text = mutate(BASE, 'maxTTL: 8h', 'maxTTL: forever');
    text = mutate(text, 'effect: deny', 'effect: block');
    text = mutate(text, 'audience: kgate', 'audiences: kgate');
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual([
      'spec.identity.issuers[0].audience',
      'spec.identity.issuers[0].audiences',
      'spec.grants[0].maxTTL',
      'spec.rules[0].effect',
    ]);
    expect(issues.map((i) => i.line)).toEqual([...issues.map((i) => i.line)].sort((a, b) => a - b));
  });

  it('reports an empty file and a document that is not a mapping', () => {
    expect(issuesOf('# nothing here\n')).toEqual([{ file: FILE, line: 1, column: 1, path: '', message: 'no YAML document in the file' }]);
    expect(issuesOf('- a\n- b\n')[0]).toMatchObject({ line: 1, column: 1, path: '', message: /^expected a mapping with apiVersion/ });
  });

  it('requires at least one cluster and one issuer across all files', () => {
    const text = `apiVersion: kgate.dev/v1alpha1\nkind: Policy\nmetadata: { name: empty }\nspec: {}\n`;
    expect(issuesOf(text).map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual(['1:1 spec.clusters', '1:1 spec.identity.issuers']);
  });
});
