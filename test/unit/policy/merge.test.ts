import { parsePolicy } from '../../../src/policy/schema/index.js';
import { BASE, mutate, positionOf } from './fixtures.js';

const HEADER = 'apiVersion: kgate.dev/v1alpha1\nkind: Policy\n';

const TEAM = `${HEADER}metadata:
  name: team
spec:
  grants:
    - name: deploy
      clusters: [prod]
      clusterRole: edit
      namespaces: [apps]
      maxTTL: 2h
      subjects: [{ groups: [dev] }]
  rules:
    - name: no-secrets
      match: { resources: [secrets] }
      effect: deny
      message: no secrets
`;

describe('merging several policy files', () => {
  it('concatenates clusters, issuers, grants and rules in file order; references may cross files', () => {
    const { policy, issues } = parsePolicy([{ file: 'base.yaml', text: BASE }, { file: 'team.yaml', text: TEAM }]);
    expect(issues).toEqual([]);
    expect(policy?.grants.map((g) => g.name)).toEqual(['read-only', 'deploy']);
    expect(policy?.rules.map((r) => r.name)).toEqual(['no-ns-delete', 'no-secrets']);
    expect(policy?.clusters.map((c) => c.name)).toEqual(['dev', 'prod']);
  });

  it('reads several documents of one file like several files', () => {
    const { policy, issues } = parsePolicy([{ file: 'all.yaml', text: `${BASE}---\n${TEAM}` }]);
    expect(issues).toEqual([]);
    expect(policy?.grants).toHaveLength(2);
  });

  it('reports a name defined in two files at the second, naming the first', () => {
    const team = mutate(TEAM, 'name: deploy', 'name: read-only');
    const { issues } = parsePolicy([{ file: 'base.yaml', text: BASE }, { file: 'team.yaml', text: team }]);
    const first = positionOf(BASE, 'read-only');
    expect(issues).toEqual([{
      file: 'team.yaml',
      ...positionOf(team, 'read-only'),
      path: 'spec.grants[0].name',
      message: `duplicate grant "read-only": also defined at base.yaml:${first.line}:${first.column} (spec.grants[0].name)`,
    }]);
  });

  it('reports duplicate clusters, issuers and rules too', () => {
    const extra = `${HEADER}metadata: { name: extra }
spec:
  clusters:
    - { name: dev, type: kubernetes, kubeconfig: /k }
  identity:
    issuers:
      - { issuer: "https://idp.example.com", audience: other }
  rules:
    - { name: no-ns-delete, match: {}, effect: allow }
`;
    const { issues } = parsePolicy([{ file: 'base.yaml', text: BASE }, { file: 'extra.yaml', text: extra }]);
    const at = (needle: string) => `extra.yaml:${positionOf(extra, needle).line}:${positionOf(extra, needle).column}`;
    expect(issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message.replace(/:.*/, '')}`)).toEqual([
      `${at('dev,')} spec.clusters[0].name: duplicate cluster "dev"`,
      `${at('"https')} spec.identity.issuers[0].issuer: duplicate issuer "https`,
      `${at('no-ns-delete')} spec.rules[0].name: duplicate rule "no-ns-delete"`,
    ]);
  });

  it('lets one file only set masking', () => {
    const a = mutate(BASE, 'spec:\n', 'spec:\n  masking: { secrets: true }\n');
    const b = `${HEADER}metadata: { name: b }\nspec:\n  masking: { secrets: false }\n`;
    const { issues } = parsePolicy([{ file: 'a.yaml', text: a }, { file: 'b.yaml', text: b }]);
    const first = positionOf(a, '{ secrets: true }');
    expect(issues).toEqual([{
      file: 'b.yaml',
      ...positionOf(b, '{ secrets: false }'),
      path: 'spec.masking',
      message: `masking is already set at a.yaml:${first.line}:${first.column}; set it in one file only`,
    }]);
  });

  it('sorts issues by the order files were given, then by position', () => {
    const a = mutate(BASE, 'maxTTL: 8h', 'maxTTL: 8 hours');
    const b = mutate(TEAM, 'effect: deny', 'effect: nope');
    const { issues } = parsePolicy([{ file: 'b.yaml', text: b }, { file: 'a.yaml', text: a }]);
    expect(issues.map((i) => i.file)).toEqual(['b.yaml', 'a.yaml']);
  });
});
