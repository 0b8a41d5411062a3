/** Resolves a container command's first word the way execve via PATH would. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of `command`, or undefined when it is not an executable on `path`. */
export function resolveExecutable(command: string, path: string, cwd: string): string | undefined {
  if (command === '') return undefined;
  if (command.includes('/')) {
    const candidate = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** containerd's message for a command that does not exist, as the kubelet reports it. */
export function notFoundMessage(command: string): string {
  return `exec: ${JSON.stringify(command)}: executable file not found in $PATH`;
}
