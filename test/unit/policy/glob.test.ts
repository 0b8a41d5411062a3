import { compileGlob, compileGlobs, globMatch, globProblem } from '../../../src/policy/glob.js';
import { decideRequest } from '../../../src/policy/evaluate-request.js';
import { parsePolicy } from '../../../src/policy/schema/index.js';
import { IDP, person } from './fixtures.js';

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
      if (problem === undefined) expect(typeof compileGlob(a).test).toBe('function');
      else expect(() => compileGlob(a)).toThrow(problem);
    }
  });

  /** The regex the globs compiled to before (dot-all, Unicode): exact, but it backtracks, so only for short texts. */
  function referenceRegex(pattern: string): RegExp {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i]!;
      if (ch === '*') source += '.*';
      else if (ch === '?') source += '.';
      else if (ch === '\\') source += pattern[++i]!.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
      else if (ch === '[') {
        const close = pattern.indexOf(']', i + 2);
        const body = pattern.slice(i + 1, close);
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      } else source += ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
    return new RegExp(`^${source}$`, 'su');
  }

  it('matches exactly what the equivalent regular expression matches (random globs and texts)', () => {
    const parts = ['*', '*', '?', 'a', 'b', 'ab', '[ab]', '[!a]', '[a-c]', '\\*', '.', '\n'];
    const letters = ['a', 'b', 'c', '*', '.', '\n', '\u2028', '😀'];
    for (let run = 0; run < 3000; run++) {
      const pattern = Array.from({ length: 1 + Math.floor(random() * 6) }, () => parts[Math.floor(random() * parts.length)]).join('');
      const text = Array.from({ length: Math.floor(random() * 9) }, () => letters[Math.floor(random() * letters.length)]).join('');
      if (globMatch(pattern, text) !== referenceRegex(pattern).test(text)) expect({ pattern, text, matched: globMatch(pattern, text) }).toEqual({ pattern, text, matched: !globMatch(pattern, text) });
    }
  });

  it.each(['\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\u0000', '\v', '\f'])('* and ? match the line terminator %j like any character', (terminator) => {
    expect(globMatch('rm -rf *', `rm -rf /tmp${terminator}/etc`)).toBe(true);
    expect(globMatch('*rm*-rf*', `echo ok${terminator}rm${terminator}-rf /`)).toBe(true);
    expect(globMatch('a?b', `a${terminator.slice(0, 1)}b`)).toBe(true);
    expect(globMatch('[!x]', terminator.slice(0, 1))).toBe(true);
  });

  it('takes a character outside the Basic Multilingual Plane as one character', () => {
    expect(globMatch('?', '😀')).toBe(true);
    expect(globMatch('??', '😀')).toBe(false);
    expect(globMatch('[😀-😂]x', '😁x')).toBe(true);
    expect(globMatch('?', '\ud800')).toBe(true);
  });

  it('answers patterns with many stars on long texts (the regex form backtracked for hours)', () => {
    const text = 'a'.repeat(20_000);
    expect(globMatch('*a*a*a*a*a*a*b', text)).toBe(false);
    expect(globMatch('*a*a*a*a*a*a*', text)).toBe(true);
    expect(globMatch('*rm*-rf*', 'rm '.repeat(100_000))).toBe(false);
    expect(globMatch('*[!a]*?*?*b', `${text}cxyb`)).toBe(true);
    expect(globMatch('*[!a]*?*?*b', `${text}cb`)).toBe(false);
  });

  it('lists: compileGlobs matches what any of its globs matches, ignoring case when asked', () => {
    const names = compileGlobs(['*PASSWORD*', '*_TOKEN', 'api[-_]key'], { ignoreCase: true })!;
    expect(['db_password', 'GITHUB_TOKEN', 'API_KEY', 'x_token'].map((n) => names.test(n))).toEqual([true, true, true, true]);
    expect(['token_x', 'apikey', 'user'].map((n) => names.test(n))).toEqual([false, false, false]);
    expect(compileGlobs(['[A-Z]'], { ignoreCase: true })!.test('q')).toBe(true);
    expect(compileGlobs(['[a-z]'])!.test('Q')).toBe(false);
    expect(compileGlobs([])).toBeUndefined();
  });
});

describe('deny rules cannot be stepped around with line breaks', () => {
  const policy = parsePolicy([
    {
      file: 'rules.yaml',
      text: `apiVersion: kgate.dev/v1alpha1
kind: Policy
metadata: { name: rules }
spec:
  clusters: [{ name: prod, type: kubernetes, kubeconfig: /k/prod }]
  identity: { issuers: [{ issuer: "${IDP}", audience: kgate }] }
  rules:
    - name: no-destruction
      match: { resources: [pods/exec], commands: ["*rm -rf*", "*curl*|*sh*"] }
      effect: deny
      message: no
`,
    },
  ]).policy!;
  const alice = person('alice', ['sre']);

  it.each([
    ['a newline', ['sh', '-c', 'echo hi\nrm -rf /']],
    ['a carriage return', ['sh', '-c', 'true\rrm -rf /']],
    ['a line separator', ['sh', '-c', 'true\u2028rm -rf /']],
    ['a paragraph separator', ['sh', '-c', 'true\u2029rm -rf /']],
    ['a next line', ['sh', '-c', 'true\u0085rm -rf /']],
    ['a NUL', ['sh', '-c', 'true\u0000rm -rf /']],
    ['line breaks on both sides', ['sh', '-c', 'curl x\n|\nsh']],
  ])('%s before or inside the command', (_what, command) => {
    const decision = decideRequest(policy, alice, 'prod', { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'web', command });
    expect(decision).toMatchObject({ effect: 'deny', rule: 'no-destruction' });
  });
});
