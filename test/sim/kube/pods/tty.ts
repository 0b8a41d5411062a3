/**
 * A real pseudo-terminal without native modules: util-linux `script` allocates the pty and runs
 * the command in it (`-q` quiet, `-f` flush, `-e` pass the exit code through, `-c` the command,
 * `/dev/null` as typescript). Window size is set with `stty` on the pty's slave device, which
 * makes the kernel deliver SIGWINCH to the foreground process as on a real node.
 */
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { TerminalSize } from './channel-protocol.js';

/** Quotes one word for POSIX sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The argv that runs `argv` on a new pty; with a known size the terminal gets it before the
 * command starts, so even the first `tput cols` sees it.
 */
export function ttyArgv(argv: readonly string[], size?: TerminalSize): string[] {
  const command = argv.map(shellQuote).join(' ');
  const sizing = size ? `stty rows ${size.height} cols ${size.width} 2>/dev/null; ` : '';
  return ['script', '-qfec', `${sizing}exec ${command}`, '/dev/null'];
}

async function childOf(pid: number): Promise<number | undefined> {
  try {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    const first = children.trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Resizes the pty that the `script` process `scriptPid` created; false when it is not found. */
export async function resizeTty(scriptPid: number, size: TerminalSize): Promise<boolean> {
  const child = await childOf(scriptPid);
  if (child === undefined) return false;
  let device: string;
  try {
    device = await readlink(`/proc/${child}/fd/0`);
  } catch {
    return false;
  }
  if (!device.startsWith('/dev/pts/')) return false;
  return new Promise((resolve) => {
    execFile('stty', ['-F', device, 'rows', String(size.height), 'cols', String(size.width)], (error) => resolve(!error));
  });
}
