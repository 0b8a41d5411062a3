import { spawn } from 'node:child_process';

/**
 * Opens `url` with `$BROWSER` when set, else the platform's opener. Detached and silent: the
 * person sees the URL on stderr anyway, so a missing opener is not an error.
 */
export function openUrl(url: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [command, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : process.platform === 'darwin' ? ['open', [url]]
      : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
