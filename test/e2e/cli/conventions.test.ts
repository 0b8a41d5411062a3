/**
 * The CLI's conventions, run as the built CLI (`bin/run.js`) a person or a script runs: usage
 * errors that name what is missing, help, version, "did you mean", shell completion, a reader
 * that goes away (`| head -1`), and warnings printed once, whole, and not in CI. Logins come from
 * the sim's real OpenID Provider.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startIdp, type SimIdp } from '../../sim/idp/provider.js';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { createSandbox, KGATE_BIN, runKgate, type KgateRun, type Sandbox } from '../identity/kgate-cli.js';

let tls: SimTls;
let idp: SimIdp;
let box: Sandbox;

beforeAll(async () => {
  tls = await createSimTls();
  idp = await startIdp({ tls });
});

afterAll(async () => {
  await idp?.close();
});

beforeEach(async () => {
  box = await createSandbox(tls.ca.cert);
});

afterEach(async () => {
  await box.remove();
});

const kgate = (args: string[], extra: Record<string, string | undefined> = {}) => runKgate(args, { env: box.env(extra), input: '' });

/** The one line a usage error prints, with its exit code. */
function usage(run: KgateRun): { code: number | null; line: string; hint: string } {
  const [line = '', hint = ''] = run.stderr.trimEnd().split('\n');
  return { code: run.code, line, hint: hint.trim() };
}

describe('usage errors name the missing flag or argument', () => {
  it.each([
    [['deny'], 'Error: Missing required argument ID (KGATE_USAGE)', 'kgate deny --help'],
    [['deny', 'q7abc'], 'Error: Missing required flag --reason (KGATE_USAGE)', 'kgate deny --help'],
    [['grants', 'request', '--cluster', 'prod'], 'Error: Missing required flag --grant (KGATE_USAGE)', 'kgate grants request --help'],
    [['kubeconfig', 'remove'], 'Error: Missing required flag --context (KGATE_USAGE)', 'kgate kubeconfig remove --help'],
    [['server'], 'Error: Missing required flag --config (KGATE_USAGE)', 'kgate server --help'],
    [['whoami', '--nope'], 'Error: Nonexistent flag: --nope (KGATE_USAGE)', 'kgate whoami --help'],
  ])('kgate %j', async (args, line, help) => {
    const run = await kgate(args);
    expect(usage(run)).toEqual({ code: 2, line, hint: `→ See ${help} for usage.` });
    expect(run.stdout).toBe('');
  });

  it('says the same in the --json envelope', async () => {
    const run = await kgate(['grants', 'request', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      status: 'error',
      error: { code: 'KGATE_USAGE', message: 'Missing required flag --grant', exitCode: 2, suggestions: ['See kgate grants request --help for usage.'] },
    });
  });
});

describe('help, version and mistyped commands', () => {
  it('kgate help, -h and --help list the commands; kgate help COMMAND shows its usage', async () => {
    for (const args of [['help'], ['-h'], ['--help']]) {
      const run = await kgate(args);
      expect([args, run.code]).toEqual([args, 0]);
      expect(run.stdout).toContain('USAGE\n  $ kgate [COMMAND]');
      expect(run.stdout).toMatch(/\n {2}templates +List the grant templates you may request/);
    }
    const deny = await kgate(['help', 'deny']);
    expect(deny.code).toBe(0);
    expect(deny.stdout).toContain('$ kgate deny ID --reason <value>');
    const short = await kgate(['grants', 'request', '-h']);
    expect(short.stdout).toContain('$ kgate grants request --grant <value>');
  });

  it('kgate version says what --version says, and has --json', async () => {
    const [version, flag, json] = await Promise.all([kgate(['version']), kgate(['--version']), kgate(['version', '--json'])]);
    const pkg = JSON.parse(await readFile(join(KGATE_BIN, '../../package.json'), 'utf8')) as { version: string };
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(flag.stdout);
    expect(version.stdout).toMatch(new RegExp(`^kgate/${pkg.version.replace(/\./g, '\\.')} linux-\\w+ node-v\\d+`));
    expect(JSON.parse(json.stdout)).toEqual({ status: 'ok', result: { version: pkg.version, node: process.version, platform: `${process.platform}-${process.arch}` } });
  });

  it('a typo gets "did you mean", exit 2, as a person and as a script sees it', async () => {
    const typo = await kgate(['logn']);
    expect(usage(typo)).toEqual({ code: 2, line: 'Error: "logn" is not a kgate command. Did you mean "login"? (KGATE_UNKNOWN_COMMAND)', hint: '→ Run kgate help for the list of commands.' });
    const nested = await kgate(['grants', 'requst', '--grant', 'x']);
    expect(usage(nested).line).toBe('Error: "grants requst" is not a kgate command. Did you mean "grants request"? (KGATE_UNKNOWN_COMMAND)');
    const far = await kgate(['grants', 'frobnicate']);
    expect(usage(far)).toEqual({ code: 2, line: 'Error: "grants frobnicate" is not a kgate command (KGATE_UNKNOWN_COMMAND)', hint: '→ Run kgate help grants for the list of commands.' });
    const json = await kgate(['stauts', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'error', error: { code: 'KGATE_UNKNOWN_COMMAND', message: '"stauts" is not a kgate command. Did you mean "status"?', exitCode: 2 } });
  });

  it('bash completes commands, subcommands and flags', async () => {
    const cache = { XDG_CACHE_HOME: join(box.dir, 'xdg-cache') };
    expect((await kgate(['autocomplete', '--refresh-cache'], cache)).code).toBe(0);
    const setup = await kgate(['autocomplete', 'script', 'bash'], cache);
    expect(setup.code).toBe(0);
    // What a person's .bashrc runs, then what bash does on <TAB>: call the completion function.
    const complete = (line: string) => new Promise<string>((resolve, reject) => {
      const words = line.split(' ');
      const script = `${setup.stdout.trim()}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE='${line}'; COMP_POINT=${line.length}\n_kgate_autocomplete\nprintf '%s\\n' "\${COMPREPLY[@]}" | sort -u`;
      const bash = spawn('bash', ['--norc', '-c', script], { env: { PATH: process.env.PATH, HOME: box.dir } });
      let out = '';
      bash.stdout.on('data', (d: Buffer) => (out += d.toString()));
      bash.on('error', reject);
      bash.on('close', () => resolve(out.trim()));
    });
    expect((await complete('kgate tem')).split('\n')).toEqual(['templates']);
    expect((await complete('kgate grants re')).split('\n')).toEqual(['request', 'revoke']);
    expect((await complete('kgate templates --cl')).split('\n')).toEqual(['--client-id', '--cluster']);
  });
});

describe('a reader that goes away', () => {
  /** Runs `kgate ARGS | head -1` in a shell and returns kgate's own exit status and stderr. */
  const pipedToHead = (args: string[], env: Record<string, string | undefined>) => new Promise<{ code: number; first: string; stderr: string }>((resolve, reject) => {
    const quoted = [process.execPath, KGATE_BIN, ...args].map((a) => `'${a}'`).join(' ');
    const sh = spawn('bash', ['-c', `${quoted} 2>"$KGATE_TEST_STDERR" | head -1; echo "kgate exited \${PIPESTATUS[0]}"`], {
      env: Object.fromEntries(Object.entries({ ...env, KGATE_TEST_STDERR: join(box.dir, 'stderr') }).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    let out = '';
    sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sh.on('error', reject);
    sh.on('close', async () => {
      const [first = '', status = ''] = out.trim().split('\n');
      resolve({ code: Number(/kgate exited (\d+)/.exec(status)?.[1]), first, stderr: await readFile(join(box.dir, 'stderr'), 'utf8') });
    });
  });

  it('kgate whoami | head -1 prints the first line and exits 0, quietly', async () => {
    const env = box.env({ KGATE_ISSUER: idp.issuer, KGATE_CLIENT_ID: 'ci-deployer', KGATE_CLIENT_SECRET: idp.machines['ci-deployer'].clientSecret });
    expect((await runKgate(['login'], { env })).code).toBe(0);
    const run = await pipedToHead(['whoami'], env);
    expect(run).toEqual({ code: 0, first: `ci-deployer, workload via client-credentials, at ${idp.issuer}`, stderr: '' });
  });

  it('a long help read by head -1 ends the same way', async () => {
    const run = await pipedToHead(['audit', 'search', '--help'], box.env());
    expect(run).toEqual({ code: 0, first: expect.any(String) as string, stderr: '' });
  });
});

describe('warnings: once, whole, and not in CI', () => {
  // A session bus address that leads nowhere, long enough that a message cut at a fixed length loses its end.
  const busPath = () => join(box.dir, 'a-session-bus-that-was-never-started-so-the-keyring-cannot-answer', 'bus');
  const noBus = () => box.env({
    KGATE_ISSUER: idp.issuer, KGATE_CLIENT_ID: 'ci-deployer', KGATE_CLIENT_SECRET: idp.machines['ci-deployer'].clientSecret,
    KGATE_TOKEN_STORAGE: undefined,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${busPath()}`,
  });

  it('a login without a keyring warns once, with the keyring\'s whole reason', async () => {
    const run = await runKgate(['exec', '--cluster', 'none', '--grant', 'none', '--', 'true'], { env: { ...noBus(), KGATE_SERVER: 'https://127.0.0.1:7' } });
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('kgate: warning:'));
    expect(warnings).toHaveLength(1);
    const [, reason] = /^kgate: warning: the OS keyring refused access: (.+); keeping tokens in a 0600 file under (?:.+) instead$/.exec(warnings[0]!) ?? [];
    expect(warnings[0]).toContain(`under ${box.stateDir} instead`);
    // The reason is the library's whole first line: it names the socket it could not reach, all of it.
    expect(reason).toContain(`${busPath()}:`);
  });

  it('CI=true logs in without it', async () => {
    const run = await runKgate(['login'], { env: { ...noBus(), CI: 'true' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('kept in the file store');
  });
});
