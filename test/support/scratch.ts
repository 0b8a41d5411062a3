/**
 * Scratch directories for test helpers that hand a path back to the caller (a kubeconfig, a CA
 * file): each is removed when the test file finishes (jest's afterAll), or when the process exits
 * for scripts (the demo, benchmarks) that use the same helpers, so nothing is left in the temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

// Registered when a test file (or script) imports this module, outside any test: jest injects
// afterAll as a global in test files; scripts have none and clean up at exit.
const afterAll = (globalThis as { afterAll?: (fn: () => void) => void }).afterAll;
if (typeof afterAll === 'function') afterAll(removeAll);
else process.once('exit', removeAll);

/** A fresh private directory under the OS temp dir, removed at the end of the test file or process. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
