import { compileGlob, globMatch, globProblem } from '../../../src/policy/glob.js';

describe('globs', () => {
  it.each([
    ['prod', 'prod', true],
    ['prod', 'prod-eu', false],
    ['prod*', 'prod-eu', true],
    ['prod*', 'preprod', false],
    ['*prod', 'preprod', true],
    ['team-?', 'team-a', true],
    ['team-?', 'team-ab', false],
    ['team-[ab]', 'team-b', true],
    ['team-[ab]', 'team-c', false],
    ['team-[!ab]', 'team-c', true],
    ['team-[a-c]', 'team-c', true],
    ['team-[a-c]', 'team-d', false],
    ['rm -rf *', 'rm -rf /var/lib', true],
    ['*', '', true],
    ['sh -c *', 'sh -c env\nid', true],
    ['a.b', 'axb', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['refs/heads/*', 'refs/heads/feature/x', true],
    ['(x)+', '(x)+', true],
    ['[]]', ']', true],
  ])('%j matches %j: %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it.each([
    ['team-[ab', 'unclosed "[" at position 6 in glob "team-[ab"'],
    ['x\\', 'trailing "\\" in glob "x\\\\"'],
    ['[z-a]', 'bad character range in glob "[z-a]"'],
  ])('refuses %j', (pattern, problem) => {
    expect(globProblem(pattern)).toBe(problem);
    expect(globMatch(pattern, pattern)).toBe(false);
  });

  // Property-style checks over generated strings: no dependency, a fixed seed so failures repeat.
  const alphabet = 'abz-./ *?[]\\()+^$|{}';
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const word = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const literal = (text: string) => text.replace(/[*?[\\]/g, '\\$&');
  const samples = Array.from({ length: 500 }, () => [word(12), word(12)] as const);

  it('an escaped text matches exactly itself', () => {
    for (const [a, b] of samples) {
      expect(globMatch(literal(a), a)).toBe(true);
      expect(globMatch(literal(a), b)).toBe(a === b);
    }
  });

  it('prefix* matches exactly the texts with that prefix; *suffix those with that suffix', () => {
    for (const [a, b] of samples) {
      expect(globMatch(`${literal(a)}*`, a + b)).toBe(true);
      expect(globMatch(`${literal(a)}*`, b)).toBe(b.startsWith(a));
      expect(globMatch(`*${literal(a)}`, b)).toBe(b.endsWith(a));
      expect(globMatch(`*${literal(a)}*`, b)).toBe(b.includes(a));
    }
  });

  it('* matches everything and ? exactly one character', () => {
    for (const [a] of samples) {
      expect(globMatch('*', a)).toBe(true);
      expect(globMatch('?'.repeat(a.length), a)).toBe(true);
      expect(globMatch('?'.repeat(a.length + 1), a)).toBe(false);
    }
  });

  it('never throws for arbitrary patterns: they compile or have a problem', () => {
    for (const [a] of samples) {
      const problem = globProblem(a);
      if (problem === undefined) expect(compileGlob(a)).toBeInstanceOf(RegExp);
      else expect(() => compileGlob(a)).toThrow(problem);
    }
  });
});
