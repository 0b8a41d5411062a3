/**
 * What the README tells a newcomer with a fresh clone, checked by doing it: no reference outside
 * the repository, `--json` claims that match the commands, an MCP example whose program a clone
 * has, `kgate` put on PATH as the README says, and `npm run sim -- --env-file .sim/env` in a clone
 * that has no `.sim/` yet, followed by the built CLI using that env file.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../../support/scratch.js';
import { KGATE_BIN } from '../identity/kgate-cli.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let readme: string;

beforeAll(async () => {
  readme = await readFile(join(ROOT, 'README.md'), 'utf8');
});

/** The lines of the README's shell code blocks. */
function shellLines(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
}

interface ManifestCommand {
  id: string;
  hidden?: boolean;
  flags: Record<string, unknown>;
}

async function commands(): Promise<ManifestCommand[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> };
  return Object.values(manifest.commands);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

it('refers to nothing outside the repository (nor do the docs and the code)', async () => {
  const files = [...['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].map((f) => join(ROOT, f)), ...(await filesUnder('docs')), ...(await filesUnder('src'))];
  const outside: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const [n, line] of text.split('\n').entries()) if (/\.\.\/shared|\/work\//.test(line)) outside.push(`${file.slice(ROOT.length + 1)}:${n + 1}: ${line.trim()}`);
  }
  expect(outside).toEqual([]);
});

it('says which commands have no --json, and claims --json only where a command has it', async () => {
  const all = await commands();
  const withoutJson = all.filter((c) => !('json' in c.flags)).map((c) => c.id.replace(/:/g, ' '));
  expect(withoutJson.sort()).toEqual(['broker run', 'credential', 'exec', 'session']);
  const cliRow = readme.split('\n').find((l) => l.startsWith('| `kgate` CLI'));
  expect(cliRow).toMatch(/`--json` on every command except /);
  // The manifest holds kgate's own commands; the help and autocomplete plugins bring two more, without --json.
  for (const name of [...withoutJson, 'help', 'autocomplete']) expect([name, cliRow!.includes(`\`${name}\``)]).toEqual([name, true]);

  const ids = all.map((c) => c.id.replace(/:/g, ' ')).sort((a, b) => b.length - a.length);
  const claims = shellLines(readme).filter((l) => l.startsWith('kgate ') && l.split('#')[0]!.includes('--json'));
  expect(claims.length).toBeGreaterThan(5);
  for (const line of claims) {
    const id = ids.find((candidate) => line.startsWith(`kgate ${candidate} `) || line === `kgate ${candidate}`);
    expect([line, id !== undefined && !withoutJson.includes(id)]).toEqual([line, true]);
  }
});

it('names an MCP server program that a clone has', async () => {
  const [example] = shellLines(readme).filter((l) => /^kgate exec .* -- \S*kubernetes-mcp-server/.test(l));
  expect(example).toBeDefined();
  const program = example!.split(' -- ')[1]!.split(' ')[0]!;
  const candidates = program.includes('/') ? [join(ROOT, program)] : [...(process.env.PATH ?? '').split(delimiter), join(ROOT, 'node_modules/.bin')].map((d) => join(d, program));
  const found = await Promise.all(candidates.map((c) => access(c, constants.X_OK).then(() => true, () => false)));
  expect([program, found.some(Boolean)]).toEqual([program, process.platform === 'linux' && process.arch === 'x64']);
});

/** Runs a bash script in the repository's root, with `env`; resolves with stdout and the exit code. */
function bash(script: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-c', script], { cwd: ROOT, env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('puts kgate on PATH the way it says, and that kgate runs', async () => {
  const alias = readme.split('\n').find((l) => l.startsWith('alias kgate='));
  expect(alias).toBeDefined();
  // A PATH without this repository's Node: the alias must not depend on one.
  const run = await bash(`shopt -s expand_aliases\n${alias!.split('#')[0]}\nkgate version --json`, { PATH: '/usr/bin:/bin', HOME: scratchDir('kgate-readme-home-') });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toMatchObject({ status: 'ok', result: { node: expect.stringMatching(/^v(2[2-9]|[3-9]\d)\./) as string } });
});

it('npm run sim -- --env-file .sim/env works in a clone without .sim/, and the CLI works with that file', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(readme).toContain('npm run sim -- --env-file .sim/env');
  expect(pkg.scripts.sim).toBe('node --import tsx test/sim/main.ts --');
  const clone = scratchDir('kgate-readme-clone-');
  const envFile = join(clone, '.sim', 'env');
  // What `npm run sim -- --env-file .sim/env` runs, with the clone's .sim/ as the place.
  const sim = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--', '--env-file', envFile, '--quiet'], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: clone } });
  let out = '';
  sim.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sim.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => sim.on('close', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the sim did not get ready:\n${out}`)), 45_000);
      const check = () => {
        if (out.includes('ready (Ctrl-C stops)')) {
          clearTimeout(timer);
          resolve();
        }
      };
      sim.stdout.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the sim exited:\n${out}`));
      });
    });
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    // `. .sim/env`, then kgate: the policy service answers with the env file's CA.
    const doctor = await bash(`. '${envFile}' && exec '${process.execPath}' '${KGATE_BIN}' doctor`, { PATH: process.env.PATH, HOME: clone, KGATE_STATE_DIR: join(clone, 'state'), KGATE_CONFIG_DIR: join(clone, 'config') });
    expect(doctor.stdout).toMatch(/^ok +policy service +https:\/\/127\.0\.0\.1:\d+ answers/m);
    expect(doctor.code).toBe(0);
  } finally {
    sim.kill('SIGTERM');
    await exited;
  }
}, 90_000);
