/**
 * `npm run sim -- [--env-file FILE] [--quiet]`: starts the simulated EKS world on loopback ports,
 * prints one line per endpoint, writes FILE as `export NAME=value` lines, and runs until SIGINT or
 * SIGTERM.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createServerLogger } from '../../src/policy/server/logger.js';
import { startSimPolicyServer } from './policy-server.js';
import { renderEnvFile } from './env-file.js';
import { startSimWorld } from './world.js';

async function main(): Promise<void> {
  // The npm script ends in `--` so Node does not take `--env-file` as its own flag (Node scans its
  // whole argv for that one); drop the separator before parsing ours.
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  const { values } = parseArgs({
    args,
    options: { 'env-file': { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: npm run sim -- [--env-file FILE] [--quiet]\n');
    return;
  }
  // The sim logs what it could not serve, so a gap in its faithfulness shows; --quiet hides it.
  const world = await startSimWorld({ log: values.quiet ? undefined : (line) => process.stderr.write(`sim: ${line}\n`) });
  // The policy service with the sample policy, as `kgate server` would run it next to the cluster.
  const policyServer = await startSimPolicyServer(world, {
    logger: createServerLogger({ level: values.quiet ? 'silent' : 'warn', destination: process.stderr }),
  }).catch(async (error: unknown) => {
    await world.close();
    throw error;
  });
  Object.assign(world.env, policyServer.env);
  const endpoints = [...world.endpoints, { name: 'kgate policy service', url: policyServer.url }];
  for (const endpoint of endpoints) process.stdout.write(`${endpoint.name.padEnd(28)} ${endpoint.url}\n`);
  if (values['env-file']) {
    // The README's `--env-file .sim/env` names a directory a fresh clone does not have yet.
    await mkdir(dirname(values['env-file']), { recursive: true, mode: 0o700 });
    await writeFile(values['env-file'], renderEnvFile(world.env), { mode: 0o600 });
    process.stdout.write(`${'env file'.padEnd(28)} ${values['env-file']}\n`);
  }
  process.stdout.write('ready (Ctrl-C stops)\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`sim: ${signal}, stopping\n`);
    policyServer.close().then(() => world.close()).then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`sim: stop failed: ${String(error)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
