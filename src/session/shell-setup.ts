/**
 * How a session's shell shows that it is one: a prompt marker `(kgate:<cluster>/<grant> 42m)`
 * with the time left, put in front of the person's own prompt. bash gets an rcfile that sources
 * ~/.bashrc first, zsh a ZDOTDIR whose .zshrc sources the real one; any other shell gets PS1 in
 * its environment (without the time left). `KGATE_SESSION` names the grant in every shell.
 * `shellPlan` is pure; `prepareShell` writes its files into a private directory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface ShellSession {
  /** The shell to run, e.g. $SHELL. */
  shell: string;
  cluster: string;
  template: string;
  grantId: string;
  expiresAt: number;
}

/** What to run and which files it needs, relative to a private directory `dir`. */
export interface ShellPlan {
  argv: string[];
  env: Record<string, string>;
  files: Record<string, string>;
}

/** POSIX single quoting. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The marker without the time left. */
export function promptMarker(s: Pick<ShellSession, 'cluster' | 'template'>): string {
  return `(kgate:${s.cluster}/${s.template})`;
}

// Shared by bash and zsh: the time left, from the expiry file kgate rewrites when it extends the
// session, else the expiry it passed in the environment.
const LEFT_FUNCTION = `__kgate_left() {
  local e=$(cat "$KGATE_SESSION_EXPIRES_FILE" 2>/dev/null)
  local s=$(( \${e:-$KGATE_SESSION_EXPIRES} - \${EPOCHSECONDS:-$(date +%s)} ))
  if (( s <= 0 )); then printf 'expired'
  elif (( s >= 3600 )); then printf '%dh%02dm' $(( s / 3600 )) $(( s % 3600 / 60 ))
  elif (( s >= 60 )); then printf '%dm' $(( s / 60 ))
  else printf '<1m'
  fi
}`;

/** The plan for running `s.shell` inside `dir`, given the environment the shell would inherit. */
export function shellPlan(s: ShellSession, dir: string, env: NodeJS.ProcessEnv): ShellPlan {
  const marker = promptMarker(s);
  const markerWithTime = `${marker.slice(0, -1)} $(__kgate_left)) `;
  const common = { KGATE_SESSION: s.grantId, KGATE_SESSION_EXPIRES: String(Math.floor(s.expiresAt / 1000)), KGATE_SESSION_EXPIRES_FILE: join(dir, 'expires') };
  const name = basename(s.shell);
  if (name === 'bash') {
    const rc = [
      '# kgate session: your own ~/.bashrc, then the session marker in front of the prompt.',
      '[ -f ~/.bashrc ] && . ~/.bashrc',
      LEFT_FUNCTION,
      `PS1=${shQuote(markerWithTime)}"$PS1"`,
      '',
    ].join('\n');
    return { argv: [s.shell, '--rcfile', join(dir, 'bashrc'), '-i'], env: common, files: { bashrc: rc } };
  }
  if (name === 'zsh') {
    const home = env.ZDOTDIR || env.HOME || '';
    const rc = [
      '# kgate session: your own .zshrc, then the session marker in front of the prompt.',
      `ZDOTDIR=${shQuote(home)}`,
      '[ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"',
      LEFT_FUNCTION,
      'setopt PROMPT_SUBST',
      `PROMPT=${shQuote(markerWithTime)}"$PROMPT"`,
      '',
    ].join('\n');
    return { argv: [s.shell, '-i'], env: { ...common, ZDOTDIR: dir }, files: { '.zshrc': rc } };
  }
  return { argv: [s.shell, '-i'], env: { ...common, PS1: `${marker} ${env.PS1 || '$ '}` }, files: {} };
}

/** A shell ready to run: its argv and environment additions, and `dispose` for its files. */
export interface PreparedShell {
  argv: string[];
  env: Record<string, string>;
  /** Tells the prompt about a new expiry (the session moved onto a fresh grant). */
  setExpiry(expiresAt: number): Promise<void>;
  dispose(): Promise<void>;
}

/** Writes the plan's files (0600) into a fresh private directory. */
export async function prepareShell(s: ShellSession, env: NodeJS.ProcessEnv = process.env): Promise<PreparedShell> {
  const dir = await mkdtemp(join(tmpdir(), 'kgate-shell-'));
  const plan = shellPlan(s, dir, env);
  for (const [file, content] of Object.entries(plan.files)) await writeFile(join(dir, file), content, { mode: 0o600 });
  return {
    argv: plan.argv,
    env: plan.env,
    setExpiry: (expiresAt) => writeFile(join(dir, 'expires'), `${Math.floor(expiresAt / 1000)}\n`, { mode: 0o600 }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
