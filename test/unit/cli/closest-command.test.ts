import { closestCommand, editDistance } from '../../../src/cli/closest-command.js';

const COMMANDS = ['login', 'logout', 'whoami', 'status', 'doctor', 'exec', 'grants request', 'grants show', 'grants list', 'approve', 'deny', 'version'];

describe('closestCommand', () => {
  it.each([
    ['logn', 'login'],
    ['stauts', 'status'],
    ['whomai', 'whoami'],
    ['aprove', 'approve'],
    ['grants requst', 'grants request'],
    ['verison', 'version'],
  ])('%s → %s', (typed, expected) => {
    expect(closestCommand(typed, COMMANDS)).toBe(expected);
  });

  it.each(['grants foo', 'kubernetes', 'x', 'deploy'])('guesses nothing for %s', (typed) => {
    expect(closestCommand(typed, COMMANDS)).toBeUndefined();
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
