/**
 * The README's main job must keep working: the demo script (what `npm run demo` runs after its
 * build; `npm test` builds first) walks the whole flow and checks each step itself.
 */
import { expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';

it('npm run demo walks every step and exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, tail: out.slice(-400) }).toMatchObject({ code: 0 });
  expect(out).toContain('demo finished: every step showed what it should.');
  expect(out).toMatch(/Grant \w+ is active: ClusterRole view in all namespaces/);
  expect(out).toContain('you cannot approve your own request');
}, 120_000);
