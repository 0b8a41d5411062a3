/**
 * What the cluster-adapter e2e tests share: grants as the policy service would hold them, a
 * kubeconfig for a minted credential, the real kubectl. The service's own cluster identity (the
 * sim's IAM user, mapped by an access entry to `kgate-server` with RBAC to manage grant bindings)
 * comes with the world.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterLog } from '../../../src/cluster/index.js';
import type { ClusterCredential, Grant } from '../../../src/policy/types.js';
import type { SimWorld } from '../../sim/world.js';
import { kubectl, writeKubeconfig, type KubectlResult } from '../../support/kubectl.js';
import { scratchDir } from '../../support/scratch.js';

/** kubectl as the sim's admin. */
export function admin(world: SimWorld, args: string[], input?: string): Promise<KubectlResult> {
  return kubectl(args, { kubeconfig: world.kubeconfig, ...(input !== undefined ? { input } : {}) });
}

/** A kubeconfig file for a minted credential. */
export function kubeconfigFor(credential: ClusterCredential): string {
  const dir = scratchDir('kgate-cluster-cred-');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, Buffer.from(credential.caData, 'base64'));
  return writeKubeconfig({ server: credential.server, caFile, user: { token: credential.token } });
}

/** kubectl with a minted credential. */
export function as(credential: ClusterCredential, args: string[]): Promise<KubectlResult> {
  return kubectl(args, { kubeconfig: kubeconfigFor(credential) });
}

let sequence = 0;

/** An active grant as the service stores it; ids are unique per test run. */
export function activeGrant(overrides: Partial<Grant> & { id?: string } = {}): Grant {
  const now = Date.now();
  sequence += 1;
  return {
    id: `t${process.pid.toString(36)}${sequence}`,
    state: 'active',
    principal: { issuer: 'https://idp.example', subject: 'u-1', name: 'alice@example.com', type: 'human', groups: ['sre'], claims: {} },
    cluster: 'sim',
    template: 'deploy',
    clusterRole: 'edit',
    namespaces: ['prod'],
    ttlMs: 3_600_000,
    breakGlass: false,
    createdAt: now,
    activatedAt: now,
    expiresAt: now + 3_600_000,
    revision: 1,
    ...overrides,
  };
}

/** A logger that keeps lines for assertions (and proves nothing secret is logged). */
export function memoryLog(): ClusterLog & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return { lines, info: write('info'), warn: write('warn'), error: write('error') };
}
