import { tallyVotes } from '../../../../src/policy/store/tally.js';
import { person, vote } from './fixtures.js';

const carol = person('carol');
const dave = person('dave');

describe('settling an approval from its votes', () => {
  test.each([
    ['no votes', [], 1, 'pending'],
    ['one approval of one needed', [vote(carol)], 1, 'approved'],
    ['one approval of two needed', [vote(carol)], 2, 'pending'],
    ['the same principal twice counts once', [vote(carol), vote({ ...carol, name: 'Carol' })], 2, 'pending'],
    ['two distinct approvers', [vote(carol), vote(dave)], 2, 'approved'],
    ['a deny among approvals', [vote(carol), vote(dave, 'deny')], 1, 'denied'],
    ['a lone deny', [vote(dave, 'deny')], 3, 'denied'],
  ] as const)('%s', (_, votes, required, state) => {
    expect(tallyVotes(votes, required)).toBe(state);
  });
});
