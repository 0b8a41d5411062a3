/**
 * A command run through the kgate gateway, as `kgate exec` and `kgate session` run one for a
 * gateway cluster: a gateway credential for this run (`purpose: run`), a private kubeconfig that
 * names the gateway and carries only that credential, the command, then the credential revoked.
 * Nothing here, nor anything the command can read, is a credential the API server accepts.
 *
 * The gateway holds requests an `approve` rule matches; this run learns of each hold at once by
 * long-polling its own pending approvals, and says on stderr what approvers run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../../cli/child-process.js';
import type { ApprovalView, GatewayCredentialView, GrantView, PolicyClient } from '../../policy/client.js';
import { writeSessionKubeconfig } from '../session-kubeconfig.js';

export interface RunGatewayedOptions {
  client: PolicyClient;
  grant: GrantView;
  argv: readonly string[];
  env?: Record<string, string>;
  namespace?: string;
  /** Lines for the person or CI log: held requests. */
  status: (line: string) => void;
  /** Called before the command starts with a way to move the run onto a fresh grant (an extension). */
  onRun?: (run: { useGrant(next: GrantView): void }) => void;
}

/** Runs `argv` to its end through the gateway; resolves with its exit code. */
export async function runGatewayed(opts: RunGatewayedOptions): Promise<{ exitCode: number; unshipped: number }> {
  const { client } = opts;
  let credential = await client.gatewayCredential(opts.grant.id, 'run');
  const revoke = (c: GatewayCredentialView) => client.revokeGatewayCredential(c.id).catch((error: Error) => opts.status(`kgate: could not revoke gateway credential ${c.id} (${error.message}); it ends with grant ${c.grant}`));
  const cacheDir = await mkdtemp(join(tmpdir(), 'kgate-kubecache-'));
  const holds = watchHolds(client, opts.grant.cluster, opts.status);
  const cleanup: (() => Promise<unknown>)[] = [() => revoke(credential), () => rm(cacheDir, { recursive: true, force: true }), () => holds.stop()];
  try {
    const kubeconfig = await writeSessionKubeconfig({
      url: client.serverUrl + credential.path,
      ...(client.caPem ? { caCertificate: client.caPem } : {}),
      token: credential.token,
      tokenInFile: true,
      clusters: [{ name: opts.grant.cluster, ...(opts.namespace ? { namespace: opts.namespace } : {}) }],
    });
    cleanup.unshift(() => kubeconfig.dispose());
    opts.onRun?.({
      useGrant(next) {
        void (async () => {
          const previous = credential;
          credential = await client.gatewayCredential(next.id, 'run');
          await kubeconfig.replaceToken(credential.token);
          await revoke(previous);
        })().catch((error: Error) => opts.status(`kgate: could not move onto grant ${next.id} (${error.message})`));
      },
    });
    const exitCode = await runChild(opts.argv, { ...process.env, ...opts.env, KUBECONFIG: kubeconfig.path, KUBECACHEDIR: cacheDir });
    return { exitCode, unshipped: 0 };
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

/** Prints each new pending approval of the caller on `cluster` as the gateway opens it. */
function watchHolds(client: PolicyClient, cluster: string, status: (line: string) => void): { stop(): Promise<void> } {
  let stopped = false;
  const abort = new AbortController();
  const seen = new Set<string>();
  const mine = new Set<string>();
  const loop = (async () => {
    let known: string[] | undefined;
    while (!stopped) {
      try {
        // The first call answers at once with what is already pending (none of it this run's).
        const pending = await client.waitForMyPendingApprovals(known ?? ['-'], known ? 20 : 1, abort.signal);
        if (!known) for (const a of pending) seen.add(a.id);
        const now = new Set(pending.map((a) => a.id));
        // Ours that left the pending list were decided (or expired): say how, as the broker does.
        for (const id of mine) {
          if (now.has(id)) continue;
          mine.delete(id);
          const decided = await client.getApproval(id).catch(() => undefined);
          if (decided) status(outcomeLine(decided));
        }
        known = pending.map((a) => a.id);
        for (const approval of pending) {
          if (seen.has(approval.id) || approval.cluster !== cluster) continue;
          seen.add(approval.id);
          mine.add(approval.id);
          status(`kgate: ${describeHold(approval)} is held for approval (${approval.request?.ruleName ?? 'guardrail'}). Approvers run: kgate approve ${approval.id}`);
        }
      } catch {
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}

function outcomeLine(approval: ApprovalView): string {
  if (approval.state === 'approved') return `kgate: approval ${approval.id} granted; ${describeHold(approval)} proceeds`;
  const vote = approval.votes.find((v) => v.decision === 'deny');
  const by = vote ? ` by ${vote.approver.name}${vote.reason ? `: ${vote.reason}` : ''}` : '';
  return `kgate: approval ${approval.id} was ${approval.state}${by}`;
}

function describeHold(approval: ApprovalView): string {
  const r = approval.request;
  if (!r) return 'a request';
  if (r.subresource && ['exec', 'attach', 'portforward'].includes(r.subresource)) {
    return `${r.subresource} in pod ${r.name} in ${r.namespace}${r.command?.length ? ` (${r.command.join(' ')})` : ''}`;
  }
  return `${r.verb} ${r.resource ?? r.path}${r.subresource ? `/${r.subresource}` : ''}${r.name ? ` ${r.name}` : ''}${r.namespace ? ` in ${r.namespace}` : ''}`;
}
