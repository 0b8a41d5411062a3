/**
 * The people-facing commands, run as the built CLI through `npm run as` (scripts/as.ts: a real
 * device-flow login as a sim person in a private state directory): bob requests `deploy` and waits,
 * carol lists and approves, bob lists, shows and revokes; a wait that runs out exits 5, a denial 3;
 * carol denies and searches the audit trail.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { TEST_POLICY } from './support.js';
import { scratchDir } from '../../support/scratch.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let world: SimWorld;
let server: SimPolicyServer;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world, { policyFile: TEST_POLICY });
});

afterAll(async () => {
  await server?.close();
  await world?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run as -- PERSON -- COMMAND…`, as a person would type it (the script, run by this Node). */
function startAs(person: string, command: string[], envFile?: string): { done: Promise<Run>; stderrMatch(pattern: RegExp): Promise<RegExpMatchArray> } {
  const simEnv = envFile ? {} : { ...world.env, ...server.env };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/as.ts'), '--', ...(envFile ? ['--env-file', envFile] : []), person, '--', ...command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...simEnv },
  });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    watchers.forEach((w) => w());
  });
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    done,
    stderrMatch: (pattern) => new Promise((resolve, reject) => {
      const check = () => {
        const match = stderr.match(pattern);
        if (match) resolve(match);
      };
      watchers.push(check);
      void done.then(() => reject(new Error(`ended without ${pattern}: ${stderr}`)));
      check();
    }),
  };
}

const as = (person: string, command: string[], envFile?: string) => startAs(person, command, envFile).done;

/** The env file as `npm run sim -- --env-file` writes it: `export NAME='value'` lines. */
function writeEnvFile(): string {
  const file = join(scratchDir('kgate-as-env-'), 'env');
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  writeFileSync(file, Object.entries({ ...world.env, ...server.env }).map(([k, v]) => `export ${k}=${quote(v)}\n`).join(''));
  return file;
}
const json = <T>(run: Run): T => (JSON.parse(run.stdout) as { result: T }).result;

it('bob waits for a deploy grant that carol approves, then lists, shows and revokes it', async () => {
  const bob = startAs('bob', ['kgate', 'grants', 'request', '--grant', 'deploy', '--reason', 'release 2.0', '--ttl', '20m', '--wait', '40s', '--json']);
  const [, approvalId] = await bob.stderrMatch(/Approvers run: kgate approve (\S+)/);

  const carolSees = await as('carol', ['kgate', 'approvals', 'list', '--json'], writeEnvFile());
  expect(carolSees.code).toBe(0);
  expect(json<{ id: string }[]>(carolSees).map((a) => a.id)).toEqual([approvalId]);
  const approved = await as('carol', ['kgate', 'approve', approvalId!, '--reason', 'ok for the window']);
  expect(approved.stderr).toContain('as: logged in as Carol Clark (sre-leads)');
  expect(approved.stdout).toMatch(new RegExp(`^Approval ${approvalId} is approved \\(grant [a-z2-7]{16}\\)\\n$`));

  const requested = await bob.done;
  expect(requested.code).toBe(0);
  const grant = json<{ id: string; state: string; namespaces: string[] }>(requested);
  expect(grant).toMatchObject({ state: 'active', namespaces: ['apps'] });

  const script = `kgate grants list --mine && kgate grants show ${grant.id} && kgate grants revoke ${grant.id} --reason done --json`;
  const session = await as('bob', ['sh', '-c', script]);
  expect(session.code).toBe(0);
  expect(session.stdout).toMatch(new RegExp(`ID\\s+STATE\\s+CLUSTER\\s+GRANT\\s+ROLE\\s+NAMESPACES\\s+OWNER\\s+EXPIRES\\n${grant.id}\\s+active\\s+kgate-sim\\s+deploy\\s+edit\\s+apps\\s+bob\\s+\\d{4}-`));
  expect(session.stdout).toContain(`Grant ${grant.id} is active: ClusterRole edit in namespace apps of kgate-sim until `);
  expect(session.stdout).toContain('"state": "revoked"');
});

it('exits 5 when the wait runs out, 3 when denied; carol denies and finds it all in the audit trail', async () => {
  const waited = await as('bob', ['kgate', 'grants', 'request', '--grant', 'deploy', '--reason', 'later', '--wait', '1s']);
  expect(waited.code).toBe(5);
  const [, grantId, approvalId] = /Grant (\S+) is pending approval (\S+):/.exec(waited.stdout) ?? [];
  expect(approvalId).toBeDefined();

  const refused = await as('bob', ['kgate', 'grants', 'request', '--grant', 'break-glass', '--break-glass', '--reason', 'I want it']);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('Error: bob may not request grant "break-glass"; you may request: read-only, deploy, deploy-two, deploy-hurry (KGATE_SERVER_DENIED)');

  const denied = await as('carol', ['kgate', 'deny', approvalId!, '--reason', 'freeze']);
  expect(denied.stdout).toBe(`Approval ${approvalId} is denied (grant ${grantId})\n`);
  const audit = await as('carol', ['kgate', 'audit', 'search', '--grant', grantId!, '--json']);
  const events = json<{ items: { verb: string; annotations: Record<string, string> }[] }>(audit).items;
  expect(events.map((e) => [e.verb, e.annotations['kgate.dev/decision']])).toEqual([['deny', 'denied'], ['create', 'pending']]);
  const table = await as('carol', ['kgate', 'audit', 'search', '--grant', grantId!]);
  expect(table.stdout).toMatch(/^TIME\s+PRINCIPAL\s+VERB\s+RESOURCE/);
});
