/**
 * Runs an exec request's command as a real local process in the container's directory and
 * environment, bridged to a StreamSession; with a tty it gets a real pseudo-terminal.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Channel } from './channel-protocol.js';
import { internalErrorStatus, nonZeroExitStatus, successStatus } from './exec-status.js';
import { notFoundMessage, resolveExecutable } from './executable.js';
import { terminateProcessGroup, trackProcessGroup } from './process-group.js';
import type { StreamSession } from './stream-session.js';
import { resizeTty, ttyArgv } from './tty.js';

export interface ExecRequest {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: boolean;
  tty: boolean;
}

/** kubectl sends the terminal size right after connecting; waiting briefly lets the pty start with it. */
const FIRST_RESIZE_WAIT_MS = 1_000;

/** Runs the command to completion (or until the client leaves); returns a function that kills it. */
export async function runExec(session: StreamSession, request: ExecRequest): Promise<() => Promise<void>> {
  const program = request.command[0]!;
  if (!resolveExecutable(program, request.env.PATH ?? '', request.cwd)) {
    const execId = randomBytes(32).toString('hex');
    session.finish(internalErrorStatus(`error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: ${notFoundMessage(program)}: unknown`));
    return async () => undefined;
  }
  const size = request.tty ? await session.firstResize(FIRST_RESIZE_WAIT_MS) : undefined;
  const argv = request.tty ? ttyArgv(request.command, size) : request.command;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: request.cwd,
    env: request.tty ? { ...request.env, TERM: 'xterm', SHELL: '/bin/sh' } : request.env,
    detached: true,
    stdio: [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  trackProcessGroup(child);
  child.stdin?.on('error', () => undefined);
  child.stdout!.on('data', (data: Buffer) => session.output(Channel.stdout, data));
  child.stderr!.on('data', (data: Buffer) => session.output(request.tty ? Channel.stdout : Channel.stderr, data));
  child.once('error', (error) => session.finish(internalErrorStatus(`error executing command in container: ${error.message}`)));
  child.once('close', (code, signal) => {
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    session.finish(exitCode === 0 ? successStatus() : nonZeroExitStatus(request.command, exitCode));
  });
  const kill = (): Promise<void> => terminateProcessGroup(child, 1_000);
  session.attach({
    stdin: (data) => child.stdin?.write(data),
    stdinEnd: () => child.stdin?.end(),
    resize: (next) => void (child.pid !== undefined && resizeTty(child.pid, next)),
    disconnect: () => void kill(),
  });
  return kill;
}
