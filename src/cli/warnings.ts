/**
 * Warnings on stderr: each printed once per process and whole, however many parts of kgate meet
 * the same condition; a routine one (a fact of the machine, like CI's missing keyring, that needs
 * no action) is not printed in CI, where it would repeat in every job's log and help nobody.
 */

/** How much a warning matters. */
export interface WarningOptions {
  /** Expected where nobody can act on it (CI): printed for people only. */
  routine?: boolean;
}

/** Prints one warning line. */
export type Warn = (line: string, options?: WarningOptions) => void;

/** True when `CI` is set to anything but `false` or `0`, as CI systems set it. */
export function runsInCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.toLowerCase();
  return Boolean(ci) && ci !== 'false' && ci !== '0';
}

const printed = new Set<string>();

/** A {@link Warn} that writes to `write` (stderr by default), each line once in this process. */
export function createWarn(env: NodeJS.ProcessEnv = process.env, write: (text: string) => void = (text) => void process.stderr.write(text)): Warn {
  return (line, options = {}) => {
    if (options.routine && runsInCi(env)) return;
    if (printed.has(line)) return;
    printed.add(line);
    write(`${line}\n`);
  };
}
