/**
 * The benchmarks' helper processes (the sim, each broker, `kubectl proxy`), so that none of them
 * shares an event loop with another or with the load generator, as in a real deployment. A child
 * says it is ready on stdout; the parent stops it with SIGTERM, then SIGKILL if it lingers. Every
 * child still running is stopped when the benchmark is interrupted (SIGINT, SIGTERM). The Node
 * children started with `startNodeChild` also stop when their stdin closes, so even a benchmark
 * killed with SIGKILL leaves none of them behind (`kubectl proxy`, which ignores stdin, would stay).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A running child and what it announced. */
export interface Child<T> {
  ready: T;
  /** Its process id, for CPU accounting (bench/cpu.ts). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface ChildOptions<T> {
  /** Names the child in errors. */
  name: string;
  env?: Record<string, string | undefined>;
  /** Looks for the readiness announcement in the stdout so far; `undefined` until it is there. */
  ready: (stdout: string) => T | undefined;
  /** Runs once the child has exited, whoever stops it. */
  cleanup?: () => Promise<unknown>;
}

const running = new Set<() => Promise<void>>();

function stopAllOn(signal: NodeJS.Signals, exitCode: number): void {
  process.once(signal, () => {
    void (async () => {
      // Newest first, so the servers in front of the sim go before it.
      for (const stop of [...running].reverse()) await stop().catch(() => undefined);
      process.exit(exitCode);
    })();
  });
}

let signalsHandled = false;

/** Starts `command`, resolves once `options.ready` finds its announcement; rejects (and stops it) if it exits or stays silent first. */
export async function startChild<T>(command: string, args: readonly string[], options: ChildOptions<T>): Promise<Child<T>> {
  if (!signalsHandled) {
    signalsHandled = true;
    stopAllOn('SIGINT', 130);
    stopAllOn('SIGTERM', 143);
  }
  const child = spawn(command, args, { cwd: REPO, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    if (child.pid === undefined) child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      child.stdin.destroy();
      await options.cleanup?.();
      running.delete(stop);
    })();
    return stopping;
  };
  running.add(stop);
  let stdout = '';
  let stderr = '';
  const announced = await new Promise<T | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), READY_TIMEOUT_MS);
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      resolve(value);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length > 1 << 20) return;
      stdout += chunk.toString();
      try {
        const value = options.ready(stdout);
        if (value !== undefined) done(value);
      } catch (error) {
        stderr += `unreadable announcement: ${error instanceof Error ? error.message : String(error)}`;
        done(undefined);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 1 << 16) stderr += chunk.toString();
    });
    child.once('error', (error) => {
      stderr += error.message;
      done(undefined);
    });
    child.once('exit', () => done(undefined));
  });
  if (announced === undefined) {
    await stop();
    throw new Error(`${options.name} did not start: ${stderr.trim().slice(0, 2000) || 'no output'}`);
  }
  return { ready: announced, pid: child.pid, stop };
}

/** Runs a bench entry file in its own Node process; it announces itself with one JSON line (see `announceReady`). */
export function startNodeChild<T>(file: string, args: readonly string[], options: Omit<ChildOptions<T>, 'ready' | 'cleanup'>): Promise<Child<T>> {
  return startChild(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...args], {
    ...options,
    ready: (stdout) => {
      const end = stdout.indexOf('\n');
      return end === -1 ? undefined : (JSON.parse(stdout.slice(0, end)) as T);
    },
  });
}

/**
 * In a child entry: prints `value` as the one JSON line its parent waits for, then runs until
 * SIGTERM, SIGINT or stdin closing (the parent gone), and exits after `close`.
 */
export async function announceReady(value: unknown, close: () => Promise<unknown>): Promise<never> {
  process.stdout.write(`${JSON.stringify(value)}\n`);
  await new Promise<void>((resolve) => {
    // Stay subscribed: a second signal while closing must not kill the process half-way.
    process.on('SIGTERM', resolve);
    process.on('SIGINT', resolve);
    process.stdin.once('end', resolve).once('close', resolve).resume();
  });
  try {
    await close();
  } catch (error) {
    process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  process.exit(0);
}
