/**
 * A grant that waits for a person: bob (group dev) asks to deploy to apps, cannot approve his own
 * request, carol (sre-leads) approves it, and kgate creates the just-in-time RoleBinding for it.
 */
import { expectThat, section, show } from './console.js';
import type { DemoContext } from './context.js';

/** Runs the deploy grant's steps: bob asks, bob cannot approve, carol approves, the binding appears. */
export async function grantApproval(ctx: DemoContext): Promise<void> {
  section('A grant that needs an approver');
  const bobAsks = await ctx.as('bob', ['grants', 'request', '--grant', 'deploy', '--namespace', 'apps', '--reason', 'release 1.4', '--json']);
  const pending = (JSON.parse(bobAsks.stdout || '{}') as { result?: { id: string; state: string; approvalId?: string } }).result;
  show('bob (group dev) asks to deploy to apps: the grant waits for approval', 'kgate grants request --grant deploy --namespace apps --reason "release 1.4"', `${pending?.id}: ${pending?.state}`);
  expectThat(pending?.state === 'pending' && !!pending.approvalId, 'deploy grant pending');
  const bobSelf = await ctx.as('bob', ['approve', pending!.approvalId!]);
  show('bob cannot approve his own request', `kgate approve ${pending!.approvalId}`, bobSelf.stderr);
  expectThat(bobSelf.code !== 0 && bobSelf.stderr.includes('you cannot approve your own request'), 'self-approval refused');
  const carolApproves = await ctx.as('carol', ['approve', pending!.approvalId!, '--reason', 'release window']);
  show('carol (sre-leads) approves', `kgate approve ${pending!.approvalId} --reason "release window"`, carolApproves.stderr + carolApproves.stdout);
  expectThat(carolApproves.code === 0, 'carol approves');
  const bobGrant = await ctx.as('bob', ['grants', 'show', pending!.id]);
  show('bob\'s grant is active now', `kgate grants show ${pending!.id}`, bobGrant.stdout);
  expectThat(/active: ClusterRole edit in namespace apps/.test(bobGrant.stdout), 'deploy grant active');
  const bindings = await ctx.admin(['get', 'rolebindings', '-n', 'apps', '-l', 'kgate.dev/grant', '-o', 'wide']);
  show('The just-in-time binding kgate made for it, labelled with the grant', 'kubectl get rolebindings -n apps -l kgate.dev/grant -o wide', bindings.stdout);
  expectThat(bindings.stdout.includes(`kgate-grant-${pending!.id}`), 'binding exists');
}
