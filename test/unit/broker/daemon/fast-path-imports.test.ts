/**
 * The credential plugin's warm paths must stay a few milliseconds: everything bin/credential.js
 * loads before it answers may import only `node:` modules — no oclif, AWS SDK, OIDC client, ink or
 * Kubernetes client. This walks the static import graphs from the warm paths' modules: the broker
 * context's (the daemon's socket) and the gateway context's (the cached credential file), which
 * takes even built-ins from process.getBuiltinModule rather than an ESM import.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

function graph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const statement = m[0];
      if (/^\s*(import|export)\s+type\s/.test(statement.trimStart())) continue;
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], external: [...external] };
}

describe('the credential warm paths', () => {
  it('bin/credential.js loads a warm path module first, and the full CLI only as a fallback', () => {
    const text = readFileSync(join(ROOT, 'bin/credential.js'), 'utf8');
    expect(importsOf(join(ROOT, 'bin/credential.js'))).toEqual(['../dist/broker/context/gateway-warm.js', '../dist/broker/daemon/fast-credential.js', './run.js']);
    expect(text.indexOf('fast-credential.js')).toBeLessThan(text.indexOf("import('./run.js')"));
  });

  it('for a broker context imports nothing but node: modules and a few small local files', () => {
    const { files, external } = graph(join(ROOT, 'src/broker/daemon/fast-credential.ts'));
    expect(external.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(files.map((f) => f.slice(ROOT.length + 1)).sort()).toEqual([
      'src/broker/daemon/control-client.ts',
      'src/broker/daemon/exec-credential.ts',
      'src/broker/daemon/fast-credential.ts',
      'src/broker/daemon/layout.ts',
      'src/broker/daemon/protocol.ts',
      'src/cli/paths.ts',
    ]);
  });

  it('for a gateway context reads the cached credential with no import of anything, not even node: modules', () => {
    const { files, external } = graph(join(ROOT, 'src/broker/context/gateway-warm.ts'));
    expect(external).toEqual([]);
    expect(files.map((f) => f.slice(ROOT.length + 1)).sort()).toEqual([
      'src/broker/context/credential-file.ts',
      'src/broker/context/gateway-warm.ts',
      'src/broker/daemon/exec-credential.ts',
      'src/cli/paths.ts',
    ]);
  });
});
