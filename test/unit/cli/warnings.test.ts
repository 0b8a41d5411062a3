import { createWarn, runsInCi } from '../../../src/cli/warnings.js';

describe('createWarn', () => {
  it('prints each line once per process, whichever warner meets it, and whole', () => {
    const out: string[] = [];
    const write = (text: string) => void out.push(text);
    const line = `kgate: warning: ${'a long reason '.repeat(20)}end`;
    createWarn({}, write)(line);
    createWarn({}, write)(line);
    createWarn({}, write)('kgate: warning: another one');
    expect(out).toEqual([`${line}\n`, 'kgate: warning: another one\n']);
  });

  it('leaves routine warnings out in CI, and prints the rest', () => {
    const out: string[] = [];
    const warn = createWarn({ CI: 'true' }, (text) => void out.push(text));
    warn('kgate: warning: routine in CI', { routine: true });
    warn('kgate: warning: matters in CI');
    expect(out).toEqual(['kgate: warning: matters in CI\n']);
    createWarn({}, (text) => void out.push(text))('kgate: warning: routine in CI', { routine: true });
    expect(out).toEqual(['kgate: warning: matters in CI\n', 'kgate: warning: routine in CI\n']);
  });
});

describe('runsInCi', () => {
  it.each([
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CI: '' }, false],
    [{}, false],
  ])('%j → %s', (env, expected) => {
    expect(runsInCi(env)).toBe(expected);
  });
});
