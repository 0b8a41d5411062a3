/**
 * Who acts in the demo and how each one runs commands: the cluster's administrator with plain
 * kubectl, a CI job with the built kgate CLI and nothing but its GitHub Actions OIDC token (no
 * client secret anywhere), and the sim's people through `npm run as` (a real device-flow login).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnvFile } from '../../test/sim/env-file.js';
import type { SimWorld } from '../../test/sim/world.js';
import { kubectl } from '../../test/support/kubectl.js';
import { run, start, type Run, type Running } from './console.js';

export interface DemoContext {
  world: SimWorld;
  /** The real kubectl the demo runs, also through `kgate exec`. */
  kubectlPath: string;
  admin(args: string[]): Promise<Run>;
  /** `kgate ARGS` as the CI job. */
  ci(args: string[], timeoutMs?: number): Promise<Run>;
  /** `kgate ARGS` as the CI job, watched while it runs. */
  startCi(args: string[], timeoutMs?: number): Running;
  /** `npm run as -- PERSON -- kgate ARGS`. */
  as(person: string, args: string[]): Promise<Run>;
  /** Removes the CI job's state and the env file. */
  remove(): Promise<void>;
}

/** The actors of `world`, whose env already names the policy service. */
export function demoContext(world: SimWorld, kubectlPath: string): DemoContext {
  const dir = mkdtempSync(join(tmpdir(), 'kgate-demo-'));
  // What a GitHub Actions runner gives a job with `permissions: id-token: write`, and nothing more.
  const ciEnv = {
    ...world.env,
    KGATE_ISSUER: world.env.SIM_GHA_ISSUER,
    KGATE_CLIENT_ID: 'kgate-cli',
    KGATE_CLIENT_SECRET: '',
    ACTIONS_ID_TOKEN_REQUEST_URL: world.env.SIM_GHA_TOKEN_REQUEST_URL,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: world.env.SIM_GHA_TOKEN_REQUEST_TOKEN,
    KGATE_STATE_DIR: join(dir, 'ci-state'),
    KGATE_CONFIG_DIR: join(dir, 'ci-config'),
    KGATE_TOKEN_STORAGE: 'file',
  };
  const envFile = join(dir, 'sim.env');
  writeFileSync(envFile, renderEnvFile(world.env), { mode: 0o600 });
  const startCi = (args: string[], timeoutMs?: number) => start(process.execPath, ['bin/run.js', ...args], ciEnv, timeoutMs);
  return {
    world,
    kubectlPath,
    admin: (args) => kubectl(args, { kubeconfig: world.kubeconfig }),
    startCi,
    ci: (args, timeoutMs) => startCi(args, timeoutMs).done,
    as: (person, args) => run(process.execPath, ['--import', 'tsx', 'scripts/as.ts', '--env-file', envFile, person, '--', 'kgate', ...args], {}),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
