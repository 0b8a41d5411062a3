/**
 * `npm run as -- [--env-file FILE] PERSON -- COMMAND…`: runs COMMAND as one of the sim's people
 * (alice, bob, carol) after a REAL login — the device flow of kgate's identity module, completed
 * at the sim IdP's pages by the person driver — kept in a private temporary state directory.
 * `kgate` on the PATH of COMMAND is this checkout's CLI (build it first), so
 * `npm run as -- carol -- kgate approve ID` works. The exit code is COMMAND's.
 *
 * The sim's variables come from --env-file (as `npm run sim -- --env-file FILE` writes it) or from
 * the environment: KGATE_ISSUER, SIM_CLI_CLIENT_ID, SIM_<PERSON>_PASSWORD, KGATE_CA_FILE, and
 * KGATE_SERVER / KGATE_CLUSTER for the policy service.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIdentity } from '../src/identity/context.js';
import { deviceLogin } from '../src/identity/flows/device.js';
import { approveDevice } from '../test/sim/idp/person.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: npm run as -- [--env-file FILE] PERSON -- COMMAND…   (PERSON: alice, bob or carol)';

/** Parses `export NAME=value` lines with POSIX single quoting, as the sim writes them. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2]!;
    env[match[1]!] = value.startsWith("'") ? value.slice(1, -1).replace(/'\\''/g, "'") : value.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

function parseArgs(argv: string[]): { envFile?: string; person: string; command: string[] } {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let envFile: string | undefined;
  while (args[0]?.startsWith('--env-file')) {
    const flag = args.shift()!;
    envFile = flag.includes('=') ? flag.slice('--env-file='.length) : args.shift();
  }
  const person = args.shift();
  if (args[0] === '--') args.shift();
  if (!person || person.startsWith('-') || args.length === 0) throw new Error(USAGE);
  return { envFile, person, command: args };
}

function need(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: pass --env-file FILE from \`npm run sim -- --env-file FILE\`, or source it`);
  return value;
}

/** Logs `person` in through the device flow into the state directory of `env`. */
async function loginAs(person: string, env: NodeJS.ProcessEnv): Promise<void> {
  const password = need(env, `SIM_${person.toUpperCase()}_PASSWORD`);
  const ca = await readFile(need(env, 'KGATE_CA_FILE'), 'utf8');
  const { settings, session } = await openIdentity({}, env);
  let approval: Promise<void> | undefined;
  const record = await deviceLogin(settings, {
    notify: (line) => {
      const match = /open (https:\S+) and enter the code (\S+)/.exec(line);
      if (match) approval = approveDevice({ verificationUri: match[1]!, userCode: match[2]!, username: person, password, ca });
    },
    openUrl: async () => undefined,
    now: Date.now,
  }, false);
  await approval;
  await session.save(record, record.accessToken);
  process.stderr.write(`as: logged in as ${record.name ?? person} (${record.groups.join(', ') || 'no groups'})\n`);
}

async function main(): Promise<number> {
  const { envFile, person, command } = parseArgs(process.argv.slice(2));
  const base: NodeJS.ProcessEnv = { ...process.env, ...(envFile ? parseEnvFile(await readFile(envFile, 'utf8')) : {}) };
  const home = await mkdtemp(join(tmpdir(), `kgate-as-${person}-`));
  try {
    const bin = join(home, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'kgate'), `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin', 'run.js')}' "$@"\n`);
    await chmod(join(bin, 'kgate'), 0o755);
    const env: NodeJS.ProcessEnv = {
      ...base,
      KGATE_CONFIG_DIR: join(home, 'config'),
      KGATE_STATE_DIR: join(home, 'state'),
      KGATE_CACHE_DIR: join(home, 'cache'),
      KGATE_TOKEN_STORAGE: 'file',
      KGATE_CA_FILE: base.KGATE_CA_FILE ?? base.SIM_CA_FILE,
      KGATE_CLIENT_ID: need(base, 'SIM_CLI_CLIENT_ID'),
      PATH: `${bin}${delimiter}${base.PATH ?? ''}`,
    };
    // A person logs in with the CLI client; the machine secret in the sim env must not be used.
    delete env.KGATE_CLIENT_SECRET;
    delete env.KGATE_CLIENT_SECRET_FILE;
    await loginAs(person, env);
    const child = spawn(command[0]!, command.slice(1), { env, stdio: 'inherit' });
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      // A command killed by a signal exits like a shell reports it: 128 + the signal number.
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`as: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
