/**
 * Shows the session interface ({@link SessionApp}) on the terminal until it has an active grant,
 * was cancelled or failed, then takes it off the terminal and hands stdin back, so the shell that
 * follows reads every key. Ink decides interactivity from the terminal alone: its own CI
 * detection would turn a person's terminal in a CI-flagged environment into a log.
 */
import { render } from 'ink';
import type { PolicyClient } from '../policy/client.js';
import { SessionApp, type SessionAppProps, type SessionOutcome } from './app.js';
import { watchedObtain } from './watched-obtain.js';

export interface PickGrantOptions {
  client: PolicyClient;
  preset: SessionAppProps['preset'];
  namespaces?: string[];
  ttl?: string;
  waitMs: number;
}

/** Runs the interface to its end. */
export async function pickGrant(options: PickGrantOptions): Promise<SessionOutcome> {
  const { client } = options;
  let resolveOutcome!: (outcome: SessionOutcome) => void;
  const outcome = new Promise<SessionOutcome>((resolve) => (resolveOutcome = resolve));
  const app = render(
    <SessionApp
      preset={options.preset}
      loadTemplates={(cluster) => client.grantTemplates(cluster)}
      obtain={(choice, events) => watchedObtain(client, {
        ...choice,
        ...(options.namespaces?.length ? { namespaces: options.namespaces } : {}),
        ...(options.ttl ? { ttl: options.ttl } : {}),
      }, options.waitMs, events)}
      onEnd={resolveOutcome}
    />,
    { exitOnCtrlC: false, patchConsole: false, interactive: Boolean(process.stdout.isTTY) },
  );
  const result = await outcome;
  await app.waitUntilRenderFlush();
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  return result;
}
