// Built-ins through process.getBuiltinModule: the credential plugin's warm path imports this
// file, and an ESM import of a `node:` module costs it milliseconds (see gateway-warm.ts).
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');

/** Where kgate keeps things on this machine. Each can be moved with an environment variable. */
export interface KgatePaths {
  /** Configuration the user writes: config.yaml. */
  config: string;
  /** State kgate writes: token cache fallback, local CA, audit spool, broker socket. */
  state: string;
  /** Disposable caches. */
  cache: string;
}

/**
 * Resolves kgate's directories from `KGATE_CONFIG_DIR` / `KGATE_STATE_DIR` / `KGATE_CACHE_DIR`,
 * then the XDG base directory variables, then the XDG defaults under the home directory.
 * Pure: reads only the environment it is given.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): KgatePaths {
  const xdg = (name: string, fallback: string) => {
    const value = env[name];
    return value && value.startsWith('/') ? value : join(home, fallback);
  };
  return {
    config: env.KGATE_CONFIG_DIR || join(xdg('XDG_CONFIG_HOME', '.config'), 'kgate'),
    state: env.KGATE_STATE_DIR || join(xdg('XDG_STATE_HOME', '.local/state'), 'kgate'),
    cache: env.KGATE_CACHE_DIR || join(xdg('XDG_CACHE_HOME', '.cache'), 'kgate'),
  };
}
