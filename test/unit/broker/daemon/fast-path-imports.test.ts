/**
 * The credential plugin's warm path must stay a few milliseconds: everything bin/credential.js
 * loads before it answers may import only `node:` modules — no oclif, AWS SDK, OIDC client, ink or
 * Kubernetes client. This walks the static import graph from the warm path's module, which serves
 * both broker contexts (the daemon's socket) and gateway contexts (the cached credential file).
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

describe('the credential warm path', () => {
  it('bin/credential.js loads the fast path module first, and the full CLI only as a fallback', () => {
    const text = readFileSync(join(ROOT, 'bin/credential.js'), 'utf8');
    expect(importsOf(join(ROOT, 'bin/credential.js'))).toEqual(['../dist/broker/daemon/fast-credential.js', './run.js']);
    expect(text.indexOf('fast-credential.js')).toBeLessThan(text.indexOf("import('./run.js')"));
  });

  it('imports nothing but node: modules and a few small local files', () => {
    const { files, external } = graph(join(ROOT, 'src/broker/daemon/fast-credential.ts'));
    expect(external.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(files.map((f) => f.slice(ROOT.length + 1)).sort()).toEqual([
      'src/broker/context/credential-cache.ts',
      'src/broker/daemon/control-client.ts',
      'src/broker/daemon/exec-credential.ts',
      'src/broker/daemon/fast-credential.ts',
      'src/broker/daemon/layout.ts',
      'src/broker/daemon/protocol.ts',
      // Writes the cache atomically (cold path), node:fs and node:path only.
      'src/cli/atomic-file.ts',
      'src/cli/paths.ts',
    ]);
  });

  it('reads a gateway context\'s cached credential without the cold path (login, policy client) behind it', () => {
    const { files, external } = graph(join(ROOT, 'src/broker/daemon/fast-credential.ts'));
    expect(files.some((f) => f.endsWith('src/broker/context/credential-cache.ts'))).toBe(true);
    expect(files.some((f) => /context-credential|policy\/|identity\//.test(f))).toBe(false);
    // node:crypto alone costs more than the rest of the warm path.
    expect(external).not.toContain('node:crypto');
  });
});
