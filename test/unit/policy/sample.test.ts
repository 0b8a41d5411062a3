import { parseCases, runCases } from '../../../src/policy/cases.js';
import { decideGrant } from '../../../src/policy/evaluate-grant.js';
import { defaultMasking, parsePolicy } from '../../../src/policy/schema/index.js';
import { SAMPLE_CASES, SAMPLE_POLICY, SIM_ENV, readSample } from './fixtures.js';

const policyText = readSample(SAMPLE_POLICY);
const { policy, issues } = parsePolicy([{ file: 'sample-policy.yaml', text: policyText }], { env: SIM_ENV });

describe('the sim world sample policy', () => {
  it('validates with the sim environment', () => {
    expect(issues).toEqual([]);
  });

  it('describes the sim cluster with its endpoints from the environment', () => {
    const sim = {
      type: 'eks',
      region: 'us-east-1',
      clusterName: 'kgate-sim',
      roleArn: 'arn:aws:iam::111122223333:role/kgate-eks-access',
      usernameTemplate: 'kgate:{{SessionName}}',
      stsEndpoint: SIM_ENV.SIM_STS_ENDPOINT,
      eksEndpoint: SIM_ENV.SIM_EKS_ENDPOINT,
      caFile: SIM_ENV.SIM_CA_FILE,
    };
    // One EKS cluster, two entries: through the gateway (the default) and through local brokers.
    expect(policy?.clusters).toEqual([{ name: 'kgate-sim', access: 'gateway', ...sim }, { name: 'kgate-sim-broker', access: 'broker', ...sim }]);
  });

  it('trusts the sim IdP (people, two workload clients) and the GitHub-Actions-like issuer', () => {
    expect(policy?.issuers).toEqual([
      { issuer: SIM_ENV.KGATE_ISSUER, audience: 'kgate', type: 'human', groupsClaim: 'groups', principalClaim: 'preferred_username', workloadClients: ['ci-deployer', 'mcp-agent'], caFile: SIM_ENV.SIM_CA_FILE },
      { issuer: SIM_ENV.SIM_GHA_ISSUER, audience: 'kgate', type: 'workload', groupsClaim: 'groups', principalClaim: 'sub', workloadClients: [], caFile: SIM_ENV.SIM_CA_FILE },
    ]);
  });

  it('offers read-only, deploy and break-glass as issue 4 describes', () => {
    const byName = Object.fromEntries((policy?.grants ?? []).map((g) => [g.name, g]));
    expect(byName['read-only']?.approval).toBeUndefined();
    expect(byName['read-only']).toMatchObject({ clusterRole: 'view', namespaces: ['*'], subjects: [{ clientIds: ['ci-deployer', 'mcp-agent'] }, { groups: ['dev'] }, { issuer: SIM_ENV.SIM_GHA_ISSUER, claims: { repository: 'acme/deploy' } }] });
    expect(byName['deploy']).toMatchObject({ clusterRole: 'edit', namespaces: ['apps'], approval: { groups: ['sre-leads'], count: 1 }, subjects: [{ groups: ['dev', 'sre', 'ci'] }] });
    expect(byName['break-glass']).toMatchObject({ clusterRole: 'cluster-admin', reasonRequired: true, breakGlass: { groups: ['sre'] }, subjects: [{ groups: ['sre'] }] });
  });

  it('denies deleting namespaces and holds exec/attach and new or changed workloads in prod for sre-leads', () => {
    expect(policy?.rules.map((r) => [r.name, r.effect, r.approval?.groups])).toEqual([
      ['no-namespace-deletion', 'deny', undefined],
      ['prod-exec-needs-approval', 'approve', ['sre-leads']],
      ['prod-workloads-need-approval', 'approve', ['sre-leads']],
    ]);
  });

  it('masks by default', () => {
    expect(policy?.masking).toEqual(defaultMasking());
  });

  it('names each variable it needs when the environment lacks them', () => {
    const bare = parsePolicy([{ file: 'sample-policy.yaml', text: policyText }]);
    const missing = new Set(bare.issues.map((i) => /variable (\w+)/.exec(i.message)?.[1]));
    expect([...missing].sort()).toEqual(['KGATE_ISSUER', 'SIM_CA_FILE', 'SIM_EKS_ENDPOINT', 'SIM_GHA_ISSUER', 'SIM_STS_ENDPOINT']);
  });

  it('gives the break-glass grant to an SRE with a reason, flagged as break glass', () => {
    const alice = { issuer: SIM_ENV.KGATE_ISSUER, subject: 'u-alice', name: 'alice', type: 'human' as const, groups: ['sre'], claims: {} };
    expect(decideGrant(policy!, alice, { cluster: 'kgate-sim', grant: 'break-glass', reason: 'INC-7' })).toMatchObject({ outcome: 'active', breakGlass: true, ttlMs: 30 * 60_000 });
  });
});

describe('the sample cases', () => {
  const cases = parseCases({ file: 'sample-cases.yaml', text: readSample(SAMPLE_CASES) }, { env: SIM_ENV });

  it('parse', () => {
    expect(cases.issues).toEqual([]);
    expect(cases.cases?.length).toBeGreaterThanOrEqual(20);
  });

  it.each((cases.cases ?? []).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [result] = runCases(policy!, [c]);
    expect({ expected: result?.expected, actual: result?.actual, pass: result?.pass }).toEqual({ expected: result?.expected, actual: result?.expected, pass: true });
  });

  it('cover every outcome and effect', () => {
    const seen = new Set((cases.cases ?? []).map((c) => `${c.kind}:${c.expect}`));
    expect([...seen].sort()).toEqual(['grant:active', 'grant:denied', 'grant:pending', 'request:allow', 'request:approve', 'request:deny']);
  });
});
