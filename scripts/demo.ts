/**
 * `npm run demo`: starts the simulated EKS world and the policy service with the sample policy,
 * then walks through the governed flow with the real kgate CLI and the real kubectl: a CI job logs
 * in with no static secret and runs kubectl through `kgate exec` — Secrets masked, namespace
 * deletion refused, an exec in prod held until carol approves it, the recording replayed, the
 * audit trail shown and verified; then a grant that waits for an approver, and what a grant is
 * underneath. Each step prints what it shows and checks it; any surprise exits 1, and every
 * process the demo started is stopped either way.
 */
import { startSimPolicyServer } from '../test/sim/policy-server.js';
import { startSimWorld } from '../test/sim/world.js';
import { kubectlBinary } from '../test/support/kubectl.js';
import { expectThat, say, show, stopAll } from './demo/console.js';
import { demoContext } from './demo/context.js';
import { governedFlow } from './demo/governed-flow.js';
import { grantApproval } from './demo/grant-approval.js';
import { underneath } from './demo/underneath.js';

async function main(): Promise<void> {
  const world = await startSimWorld();
  const policyServer = await startSimPolicyServer(world);
  Object.assign(world.env, policyServer.env);
  const binary = await kubectlBinary();
  const ctx = demoContext(world, binary.path);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    await stopAll();
    await policyServer.close();
    await world.close();
    await ctx.remove();
  })());
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    say(`kgate demo — simulated EKS world, real kubectl ${binary.minor} (${binary.path})`);
    for (const e of world.endpoints) say(`  ${e.name.padEnd(28)} ${e.url}`);
    say(`  ${'kgate policy service'.padEnd(28)} ${policyServer.url} (test/sim/policy/sample-policy.yaml)`);

    const pods = await ctx.admin(['get', 'pods', '-A']);
    show('The cluster, as its administrator sees it', 'kubectl get pods -A', pods.stdout);
    expectThat(pods.code === 0 && pods.stdout.includes('prod'), 'pods listed');

    await governedFlow(ctx);
    await grantApproval(ctx);
    await underneath(ctx);
    say('\ndemo finished: every step showed what it should.');
  } finally {
    await stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
