/**
 * Every process the runtime starts leads its own process group, so a shell's children die with
 * it. The registry here makes sure none outlives the Node process, even on an abrupt exit.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<number>();
let exitHookInstalled = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) signalGroup(pid, 'SIGKILL');
  });
}

/** Tracks a freshly spawned (detached) child until it exits. */
export function trackProcessGroup(child: ChildProcess): void {
  installExitHook();
  const pid = child.pid;
  if (pid === undefined) return;
  live.add(pid);
  child.once('exit', () => live.delete(pid));
}

/** Whether the child is still running (has neither exited nor been reaped). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * SIGTERM to the child's group, SIGKILL after `graceMs`; resolves once the child has exited.
 */
export function terminateProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // Stragglers that ignored SIGTERM in the same group go too.
      signalGroup(pid, 'SIGKILL');
      resolve();
    });
    signalGroup(pid, 'SIGTERM');
  });
}
