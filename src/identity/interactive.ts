import { runsInCi } from '../cli/warnings.js';

/** What decides whether a person is at the keyboard. */
export interface TerminalFacts {
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** The facts of this process. */
export function processTerminal(): TerminalFacts {
  return { stdinIsTTY: Boolean(process.stdin.isTTY), stderrIsTTY: Boolean(process.stderr.isTTY), env: process.env };
}

/**
 * True only when a person can answer: stdin and stderr are terminals, `CI` is not set, and a
 * client-go exec call (`KUBERNETES_EXEC_INFO`) did not say `spec.interactive: false`.
 * Background tools (IDEs, k9s) must never trigger a browser or a prompt.
 */
export function isInteractive(facts: TerminalFacts): boolean {
  if (!facts.stdinIsTTY || !facts.stderrIsTTY) return false;
  if (runsInCi(facts.env)) return false;
  return execInfoInteractive(facts.env.KUBERNETES_EXEC_INFO) !== false;
}

/** `spec.interactive` of a client-go ExecCredential request, or undefined when absent or unreadable. */
export function execInfoInteractive(execInfo: string | undefined): boolean | undefined {
  if (!execInfo) return undefined;
  try {
    const value = (JSON.parse(execInfo) as { spec?: { interactive?: unknown } }).spec?.interactive;
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    // An unreadable exec info comes from a broken caller; assume it cannot show a prompt.
    return false;
  }
}
