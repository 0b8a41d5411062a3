#!/usr/bin/env node
// Refuse an old Node with one clear line instead of a crash deep inside a module it lacks.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`kgate needs Node.js 22.13 or newer; this is ${process.version}. In this repository, \`npm run kgate -- …\` uses the pinned Node 24.\n`);
  process.exit(1);
}

const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
