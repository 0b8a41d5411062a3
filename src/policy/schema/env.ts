/**
 * `${NAME}` and `${NAME:-default}` in the few string fields whose schema allows it: endpoints, CA
 * and kubeconfig files, issuer URLs — values that are only known where the service runs (the sim's
 * ports, a mounted CA). Nowhere else: a variable in a grant or rule would make a policy mean
 * different things on different machines.
 */

/** Variables to expand; `process.env` is passed in by the caller, never read here. */
export type PolicyEnv = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Whether a string contains a `${NAME}` reference. */
export function hasEnvReference(text: string): boolean {
  REFERENCE.lastIndex = 0;
  return REFERENCE.test(text);
}

/** Expands every reference; unset or empty variables without a default are returned as `missing`. */
export function expandEnv(text: string, env: PolicyEnv): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  return { value, missing };
}
