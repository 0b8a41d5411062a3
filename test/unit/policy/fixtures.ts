/** Shared bits of the policy language tests: a small valid policy, principals, and positions. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalizeRequest } from '../../../src/kube/canonical.js';
import type { Principal } from '../../../src/policy/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SAMPLE_POLICY = join(ROOT, 'test/sim/policy/sample-policy.yaml');
export const SAMPLE_CASES = join(ROOT, 'test/sim/policy/sample-cases.yaml');

/** What the sim's env file would give the sample policy. */
export const SIM_ENV = {
  SIM_STS_ENDPOINT: 'https://127.0.0.1:41001',
  SIM_EKS_ENDPOINT: 'https://127.0.0.1:41002',
  SIM_CA_FILE: '/tmp/kgate-sim/ca.crt',
  KGATE_ISSUER: 'https://127.0.0.1:41000',
  SIM_GHA_ISSUER: 'https://127.0.0.1:41003',
};

export function readSample(path: string): string {
  return readFileSync(path, 'utf8');
}

/** A small valid policy; tests break one thing in it at a time. */
export const BASE = `apiVersion: kgate.dev/v1alpha1
kind: Policy
metadata:
  name: test
spec:
  clusters:
    - name: dev
      type: kubernetes
      kubeconfig: /etc/kgate/dev.kubeconfig
    - name: prod
      type: eks
      region: eu-west-1
      roleArn: arn:aws:iam::111122223333:role/kgate
  identity:
    issuers:
      - issuer: https://idp.example.com
        audience: kgate
  grants:
    - name: read-only
      clusters: [dev]
      clusterRole: view
      namespaces: ["*"]
      maxTTL: 8h
      subjects:
        - groups: [dev]
  rules:
    - name: no-ns-delete
      match: { verbs: [delete], resources: [namespaces] }
      effect: deny
      message: no
`;

/** `text` with `from` replaced by `to`; fails loudly when `from` is not there. */
export function mutate(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** 1-based line and column of the first `needle` in `text` (plus `offset` characters). */
export function positionOf(text: string, needle: string, offset = 0): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index === -1) throw new Error(`text does not contain ${JSON.stringify(needle)}`);
  const before = text.slice(0, index + offset);
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

export const IDP = 'https://idp.example.com';

export function person(name: string, groups: string[], extra: Partial<Principal> = {}): Principal {
  return { issuer: IDP, subject: `u-${name}`, name, type: 'human', groups, claims: { sub: `u-${name}` }, ...extra };
}

export function machine(clientId: string, groups: string[]): Principal {
  return { issuer: IDP, subject: clientId, clientId, name: clientId, type: 'workload', groups, claims: { sub: clientId, client_id: clientId } };
}

/** The canonical form of a request target, as the gate forwards it. */
export function canonicalUrl(method: string, target: string): string {
  const result = canonicalizeRequest(method, target);
  if (!result.ok) throw new Error(result.reason);
  return result.request.url;
}
