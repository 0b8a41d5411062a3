/**
 * How the demo talks and runs things: numbered steps that print the command and what it showed,
 * a check that stops the demo with the step's name when a step shows something else, and child
 * processes that are tracked so a timeout, a failed step or Ctrl-C never leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let step = 0;

/** A heading between groups of steps. */
export function section(title: string): void {
  process.stdout.write(`\n${bold(`── ${title}`)}\n`);
}

/** A plain line under the demo's banner. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Prints a numbered step: its title, the command as a user would type it, and what it showed. */
export function show(title: string, command: string, output: string): void {
  process.stdout.write(`\n${bold(`${++step}. ${title}`)}\n$ ${command}\n${output.trimEnd().replace(/^/gm, '  ')}\n`);
}

/** Stops the demo when the last step did not show `what`. */
export function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new Error(`demo step ${step} did not show what it should: ${what}`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A child the demo watches while it runs. */
export interface Running {
  done: Promise<Run>;
  /** The first match of `pattern` in the output so far or to come; rejects when the child ends without it. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

const live = new Set<ChildProcess>();

/** Starts `command` with extra environment; it is killed after `timeoutMs`. */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Running {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); notify(); });
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); notify(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
      notify();
    });
  });
  const waitFor = (pattern: RegExp) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = (stdout + stderr).match(pattern);
      if (match || !live.has(child)) watchers.delete(check);
      if (match) resolve(match);
      else if (!live.has(child)) reject(new Error(`${command} ended without printing ${pattern}:\n${stderr}`));
    };
    watchers.add(check);
    check();
  });
  return { done, waitFor };
}

/** Runs `command` to the end. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Run> {
  return start(command, args, env, timeoutMs).done;
}

/**
 * Stops every child still running (a step failed or the demo was interrupted): SIGTERM first, so
 * a `kgate exec` stops its command and releases its grant, then SIGKILL after a grace period.
 */
export async function stopAll(graceMs = 3000): Promise<void> {
  const children = [...live];
  for (const child of children) child.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (children.some((c) => live.has(c)) && Date.now() < deadline) await sleep(50);
  for (const child of children) if (live.has(child)) child.kill('SIGKILL');
}
