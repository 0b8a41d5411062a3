#!/usr/bin/env node
// Refuse an old Node with one clear line instead of a crash deep inside a module it lacks.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`kgate needs Node.js 22.13 or newer; this is ${process.version}. In this repository, \`npm run kgate -- …\` uses the pinned Node 24.\n`);
  process.exit(1);
}

// A reader that went away (`kgate whoami | head -1`) is not an error of kgate's: stop writing to it.
const quietOnBrokenPipe = (stream) => stream.on('error', (error) => {
  if (error?.code !== 'EPIPE') throw error;
});
quietOnBrokenPipe(process.stdout);
quietOnBrokenPipe(process.stderr);

/**
 * Resolves once stdout has written what it holds, or can no longer write it. oclif's own flush
 * waits for a 'drain' a broken pipe never emits, and its timer does not keep Node alive, so the
 * process ended with "unsettled top-level await" and exit 13.
 */
function flushStdout() {
  const out = process.stdout;
  if (out.destroyed || out.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('drain', resolve);
    out.once('close', resolve);
    out.once('error', resolve);
  });
}

const { handle, run } = await import('@oclif/core');
try {
  await run(process.argv.slice(2), import.meta.url);
  await flushStdout();
} catch (error) {
  await handle(error instanceof Error ? error : new Error(String(error)));
}
