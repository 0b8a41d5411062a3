/**
 * Runs the command kgate wraps (`kgate exec -- …`) as a child that owns the terminal: stdio is
 * inherited, termination signals sent to kgate are passed on, and the exit status comes back the
 * way a shell reports it (the child's code, or 128 + the signal number).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExitCode, KgateError } from './errors.js';

// SIGINT and SIGQUIT from a terminal already reach the child (same process group); passing
// them on too would deliver them twice. Sent with kill(1) to kgate alone, they must be passed on.
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Runs `argv` to completion and returns its exit status. */
export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new KgateError('No command to run', { code: 'KGATE_USAGE', exit: ExitCode.Usage }));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const fromTerminal = process.stdin.isTTY === true;
    const relay = (signal: NodeJS.Signals) => {
      if (fromTerminal && (signal === 'SIGINT' || signal === 'SIGQUIT')) return;
      child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, relay);
    const done = () => {
      for (const signal of FORWARDED) process.off(signal, relay);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      if (error.code === 'ENOENT') reject(new KgateError(`${file}: command not found`, { code: 'KGATE_COMMAND_NOT_FOUND', exit: ExitCode.CommandNotFound }));
      else reject(new KgateError(`Cannot run ${file}: ${error.message}`, { code: 'KGATE_COMMAND_FAILED' }));
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
    });
  });
}
