/**
 * The governed flow, as a CI job lives it: it logs in with its GitHub Actions OIDC token (no
 * static secret), gets the `operate` grant, and runs the real kubectl through `kgate exec` and the
 * kgate gateway (the sample cluster's access mode): the wrapped command never holds a credential
 * the API server accepts.
 * Secrets come back masked, namespace deletion is refused by a guardrail, an exec in prod is held
 * until carol approves it, and afterwards the recording is replayed and the audit trail is shown
 * and verified. Every step checks what it printed; nothing printed may hold a secret value.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent } from '../../src/audit/event.js';
import { base64Marker, maskMarker } from '../../src/mask/marker.js';
import { expectThat, section, show } from './console.js';
import type { DemoContext } from './context.js';

/** The sample cluster's secret values, as stored and as base64: none may appear in what the demo prints. */
const SECRETS = ['prod-S3cr3t-pa55word', 'staging-S3cr3t-pa55word', 'AKIAIOSFODNN7EXAMPLE'];

function leaks(text: string): string[] {
  return SECRETS.flatMap((s) => [s, Buffer.from(s).toString('base64')]).filter((v) => text.includes(v));
}

/** The list item of `kubectl get -o yaml` that is Secret `name` in `namespace`. */
function secretItem(yaml: string, namespace: string, name: string): string {
  const item = yaml.split(/^- /m).find((i) => i.includes(`\n    name: ${name}\n`) && i.includes(`\n    namespace: ${namespace}\n`));
  return item === undefined ? '' : `- ${item.trimEnd()}`;
}

/** The ResponseComplete event of the exec that `approval` let through, once the broker shipped it. */
async function execEvent(ctx: DemoContext, approval: string): Promise<AuditEvent | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const found = await ctx.ci(['audit', 'search', '--resource', 'pods/exec', '--namespace', 'prod', '--json']);
    const items = found.code === 0 ? (JSON.parse(found.stdout) as { result: { items: AuditEvent[] } }).result.items : [];
    const event = items.find((e) => e.stage === 'ResponseComplete' && e.annotations?.['kgate.dev/approval'] === approval);
    if (event) return event;
    await sleep(500);
  }
  return undefined;
}

/** Runs the governed flow's steps as the CI job, with carol approving the held exec. */
export async function governedFlow(ctx: DemoContext): Promise<void> {
  section('The governed flow: a CI job runs kubectl through kgate exec');
  const login = await ctx.ci(['login', '--github-actions']);
  show('A CI job logs in with its GitHub Actions OIDC token (no static secret)', 'kgate login --github-actions', login.stdout + login.stderr);
  expectThat(login.code === 0 && /workload via github-actions/.test(login.stdout), 'workload login');

  const requested = await ctx.ci(['grants', 'request', '--grant', 'operate', '--reason', 'nightly maintenance']);
  show('…and asks for the operate grant: policy lets the acme/deploy workflow in at once', 'kgate grants request --grant operate --reason "nightly maintenance"', requested.stdout + requested.stderr);
  const grant = /Grant (\w+) is active: ClusterRole edit in all namespaces/.exec(requested.stdout)?.[1];
  expectThat(requested.code === 0 && grant !== undefined, 'operate grant active');

  const kubectl = ['exec', '--grant', 'operate', '--', ctx.kubectlPath];
  const secrets = await ctx.ci([...kubectl, 'get', 'secrets', '-A', '-o', 'yaml']);
  const item = secretItem(secrets.stdout, 'prod', 'db-credentials');
  const stored = await ctx.admin(['get', 'secret', 'db-credentials', '-n', 'prod', '-o', 'jsonpath={.data.password}']);
  show('Every Secret value comes back masked (prod/db-credentials shown)', 'kgate exec --grant operate -- kubectl get secrets -A -o yaml',
    `${item}\n\n${base64Marker('secret')} is base64 for ${maskMarker('secret')}; the cluster still holds the real values (checked with the admin kubeconfig, not printed).${secrets.stderr ? `\n${secrets.stderr}` : ''}`);
  expectThat(secrets.code === 0 && item.includes(`password: ${base64Marker('secret')}`), 'masked password in prod/db-credentials');
  expectThat(leaks(secrets.stdout + secrets.stderr).length === 0, 'no secret value in the output');
  expectThat(Buffer.from(stored.stdout, 'base64').toString() === 'prod-S3cr3t-pa55word', 'the cluster keeps the real value');

  const deletion = await ctx.ci([...kubectl, 'delete', 'namespace', 'staging']);
  const namespace = await ctx.admin(['get', 'namespace', 'staging', '-o', 'jsonpath={.status.phase}']);
  show('Deleting a namespace is refused by a guardrail before it reaches the cluster', 'kgate exec --grant operate -- kubectl delete namespace staging',
    `${deletion.stderr}(exit code ${deletion.code}; namespace staging is still ${namespace.stdout})`);
  expectThat(deletion.code === 1 && deletion.stderr.includes('Error from server (Forbidden)') && deletion.stderr.includes('no-namespace-deletion: Deleting namespaces is not allowed'), 'Forbidden by no-namespace-deletion');
  expectThat(namespace.stdout === 'Active', 'namespace kept');

  // The wrapped command is the untrusted party: show what it holds, and that the API server refuses it.
  const probe = [
    'server=$(grep -o \'"server": "[^"]*"\' "$KUBECONFIG" | cut -d\\" -f4)',
    'token=$(grep -o \'"token": "[^"]*"\' "$KUBECONFIG" | cut -d\\" -f4)',
    'echo "kubeconfig server: $server"',
    'echo "its token: $(echo "$token" | cut -c1-12)… (a kgate gateway credential)"',
    `${ctx.kubectlPath} --kubeconfig=/dev/null --server="$SIM_API_SERVER" --certificate-authority="$SIM_CA_FILE" --token="$token" get secrets -n prod 2>&1 | tail -n 1`,
  ].join('; ');
  const holds = await ctx.ci(['exec', '--grant', 'operate', '--', 'sh', '-c', probe]);
  show('Through the gateway, the wrapped command holds only a gateway credential: the API server itself refuses it',
    'kgate exec --grant operate -- sh -c \'…the token from $KUBECONFIG, sent straight to the API server…\'', holds.stdout + holds.stderr);
  expectThat(/kubeconfig server: https:\/\/\S+\/gateway\/clusters\/kgate-sim/.test(holds.stdout) && holds.stdout.includes('its token: kgate-gw.'), 'the wrapped command points at the gateway with a gateway credential');
  expectThat(/You must be logged in to the server/.test(holds.stdout) && leaks(holds.stdout).length === 0, 'the API server refuses that credential');

  const command = 'echo "APP_ENV=$APP_ENV"; env | grep PASSWORD';
  const held = ctx.startCi([...kubectl, 'exec', '-n', 'prod', 'web', '--', 'sh', '-c', command], 60_000);
  const [notice, approval] = await held.waitFor(/kgate: .* is held for approval .*kgate approve (\S+)/);
  show('An exec in prod is held until an SRE lead approves it', `kgate exec --grant operate -- kubectl exec -n prod web -- sh -c '${command}'`, notice);
  const seen = await ctx.as('carol', ['approvals', 'show', approval!]);
  show('carol (sre-leads) sees exactly what she is asked to approve, each argument as it will run', `kgate approvals show ${approval}`, seen.stdout);
  expectThat(seen.code === 0 && seen.stdout.includes(`  [2] ${command}\n`), 'the approver sees the held command exactly');
  const approved = await ctx.as('carol', ['approve', approval!, '--reason', 'routine check']);
  show('carol (sre-leads) approves it from her own terminal', `kgate approve ${approval} --reason "routine check"`, approved.stderr + approved.stdout);
  expectThat(approved.code === 0 && approved.stdout.includes(`Approval ${approval} is approved`), 'carol approves');
  const ran = await held.done;
  show('…and the exec runs; the password the pod has from its Secret is masked in the stream, value for value', '(the held kgate exec, continued)', ran.stdout + ran.stderr.replace(`${notice}\n`, ''));
  expectThat(ran.code === 0 && ran.stderr.includes(`approval ${approval} granted`), 'held exec ran after approval');
  expectThat(ran.stdout.includes('APP_ENV=prod') && ran.stdout.includes(`DB_PASSWORD=${maskMarker('secret')}`), 'exec output with the password masked');
  expectThat(leaks(ran.stdout + ran.stderr).length === 0, 'no secret value in the exec output');

  section('Afterwards: the recording and the audit trail');
  const event = await execEvent(ctx, approval!);
  const recording = event?.annotations?.['kgate.dev/recording-id'];
  expectThat(recording !== undefined, 'the exec\'s audit event names its recording');
  const replay = await ctx.ci(['audit', 'replay', recording!, '--speed', '4', '--max-idle', '0.2']);
  show('The exec session was recorded, masked; it replays in the terminal', `kgate audit replay ${recording} --speed 4`, replay.stdout.replace(/\r\n/g, '\n') + replay.stderr);
  expectThat(replay.code === 0 && replay.stdout.includes('APP_ENV=prod') && replay.stdout.includes(`DB_PASSWORD=${maskMarker('secret')}`), 'replayed recording');
  expectThat(leaks(replay.stdout + replay.stderr).length === 0, 'no secret value in the recording');

  const trail = await ctx.ci(['audit', 'search', '--grant', grant!, '--decision', 'deny']);
  show('The audit trail of the grant: what was refused', `kgate audit search --grant ${grant} --decision deny`, trail.stdout + trail.stderr);
  expectThat(trail.code === 0 && /\bdelete\s+namespaces\s+staging\s+staging\s+deny\b/.test(trail.stdout), 'the refused deletion in the audit trail');
  const execs = await ctx.ci(['audit', 'search', '--grant', grant!, '--resource', 'pods/exec']);
  show('…and the exec in prod, allowed once approved', `kgate audit search --grant ${grant} --resource pods/exec`, execs.stdout + execs.stderr);
  expectThat(execs.code === 0 && /\bpods\/exec\s+prod\s+web\s+allow\b/.test(execs.stdout), 'the approved exec in the audit trail');

  const verify = await ctx.ci(['audit', 'verify']);
  show('Each gateway session hash-chains its events, closed by an end marker: the trail is complete and unedited', 'kgate audit verify', verify.stdout + verify.stderr);
  expectThat(verify.code === 0 && /^Audit trail intact: \d+ chained events in [1-9]\d* sessions?\.$/m.test(verify.stdout), 'verify ok');
}
