import { execInfoInteractive, isInteractive } from '../../../src/identity/interactive.js';

const tty = { stdinIsTTY: true, stderrIsTTY: true };
const execInfo = (interactive: unknown) => JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive } });

describe('isInteractive', () => {
  test.each([
    ['a terminal', { ...tty, env: {} }, true],
    ['CI=false at a terminal', { ...tty, env: { CI: 'false' } }, true],
    ['exec info saying interactive: true', { ...tty, env: { KUBERNETES_EXEC_INFO: execInfo(true) } }, true],
    ['no stdin terminal', { stdinIsTTY: false, stderrIsTTY: true, env: {} }, false],
    ['no stderr terminal', { stdinIsTTY: true, stderrIsTTY: false, env: {} }, false],
    ['CI=true', { ...tty, env: { CI: 'true' } }, false],
    ['CI=1', { ...tty, env: { CI: '1' } }, false],
    ['exec info saying interactive: false', { ...tty, env: { KUBERNETES_EXEC_INFO: execInfo(false) } }, false],
    ['unreadable exec info', { ...tty, env: { KUBERNETES_EXEC_INFO: '{' } }, false],
  ])('%s → %s', (_name, facts, expected) => {
    expect(isInteractive(facts)).toBe(expected);
  });

  test('exec info without spec.interactive says nothing', () => {
    expect(execInfoInteractive(JSON.stringify({ spec: {} }))).toBeUndefined();
    expect(execInfoInteractive(undefined)).toBeUndefined();
  });
});
