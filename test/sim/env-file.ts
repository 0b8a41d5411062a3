/** The sim's env file: `export NAME=value` lines a POSIX shell can source. */

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Renders an environment as a file a POSIX shell can source. */
export function renderEnvFile(env: Record<string, string>): string {
  return Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join('');
}
