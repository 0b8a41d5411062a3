import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built CLI (`npm run build` first), run by the same Node 24 that runs jest. */
export const KGATE_BIN = join(ROOT, 'bin/run.js');

/** The outcome of one CLI run. */
export interface KgateRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI process the test can watch while it runs. */
export interface RunningKgate {
  done: Promise<KgateRun>;
  /** Resolves with the first match of `pattern` in stdout + stderr (the pty merges them). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
  /** Types `data` (under a pty, as if at the keyboard). */
  write(data: string): void;
}

/** Options of {@link startKgate}. */
export interface KgateOptions {
  env: Record<string, string | undefined>;
  /** Run under a pseudo-terminal (util-linux `script`), so the CLI sees an interactive session. */
  pty?: boolean;
  timeoutMs?: number;
  /** Written to stdin, which is then closed (without it stdin stays open). */
  input?: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Starts `kgate <args>`; with `pty`, stdin/stdout/stderr are a terminal, as for a person. */
export function startKgate(args: string[], options: KgateOptions): RunningKgate {
  const argv = [process.execPath, KGATE_BIN, ...args];
  const [command, commandArgs] = options.pty
    ? ['script', ['-qefc', argv.map(shellQuote).join(' '), '/dev/null']]
    : [argv[0]!, argv.slice(1)];
  const env = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined));
  const child = spawn(command, commandArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (options.input !== undefined) child.stdin.end(options.input);
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); notify(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); notify(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const done = new Promise<KgateRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      notify();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    done,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => child.kill(signal),
    write: (data: string) => void child.stdin.write(data),
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let finished = false;
        const check = () => {
          const match = (stdout + stderr).match(pattern);
          if (match) {
            watchers.delete(check);
            clearTimeout(limit);
            resolve(match);
          } else if (child.exitCode !== null || finished) {
            watchers.delete(check);
            clearTimeout(limit);
            reject(new Error(`kgate ended without printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        const limit = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`kgate did not print ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        void done.then(() => { finished = true; check(); });
        watchers.add(check);
        check();
      });
    },
  };
}

/** Runs `kgate <args>` to the end. */
export function runKgate(args: string[], options: KgateOptions): Promise<KgateRun> {
  return startKgate(args, options).done;
}

/**
 * The environment of the built CLI on a clean machine with its home, config and state under
 * `home`, pointed at the sim world and policy service (`simEnv`: their env files merged; the
 * `ci-deployer` machine's client credentials included), tokens in a file.
 */
export function simCliEnv(home: string, simEnv: Record<string, string | undefined>, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    ...simEnv,
    KGATE_CONFIG_DIR: join(home, 'config'),
    KGATE_STATE_DIR: join(home, 'state'),
    KGATE_TOKEN_STORAGE: 'file',
    ...extra,
  };
}

/** A private home, config and state directory, plus the sim CA as a file. */
export interface Sandbox {
  dir: string;
  caFile: string;
  stateDir: string;
  /** The environment of a clean machine pointed at the sandbox (no CI, no D-Bus, no keyring). */
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  remove(): Promise<void>;
}

/** Creates a sandbox whose CA file trusts `caPem`. */
export async function createSandbox(caPem: string): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'kgate-id-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, caPem);
  const stateDir = join(dir, 'state');
  return {
    dir,
    caFile,
    stateDir,
    env: (extra = {}) => ({
      PATH: process.env.PATH,
      HOME: dir,
      LANG: 'C.UTF-8',
      KGATE_CONFIG_DIR: join(dir, 'config'),
      KGATE_STATE_DIR: stateDir,
      KGATE_CACHE_DIR: join(dir, 'cache'),
      KGATE_CA_FILE: caFile,
      KGATE_TOKEN_STORAGE: 'file',
      ...extra,
    }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
