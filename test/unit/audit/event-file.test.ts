import { createAuditChain, verifyChain } from '../../../src/audit/chain.js';
import { AuditFileError, parseAuditEvents } from '../../../src/audit/event-file.js';
import { auditEvent } from './fixtures.js';

const chain = createAuditChain('s');
const events = [1, 2, 3].map((i) => chain.seal(auditEvent(i)));

describe('audit events from a file', () => {
  test.each([
    ['JSON lines', events.map((e) => JSON.stringify(e)).join('\n') + '\n'],
    ['JSON lines with blank lines and CRLF', events.map((e) => JSON.stringify(e)).join('\r\n\r\n')],
    ['a JSON array', JSON.stringify(events, null, 2)],
    ['a search page', JSON.stringify({ items: events })],
    ['the search --json envelope', JSON.stringify({ status: 'ok', result: { items: events, next: 'x' } }, null, 2)],
  ])('reads %s', (_label, text) => {
    expect(parseAuditEvents(text, 'f')).toEqual(events);
    expect(verifyChain(parseAuditEvents(text, 'f')).ok).toBe(true);
  });

  test('reads a single Event', () => {
    expect(parseAuditEvents(JSON.stringify(events[0]), 'f')).toEqual([events[0]]);
  });

  test.each([
    ['a line that is not JSON', `${JSON.stringify(events[0])}\n{"kind":\n`, 'f: line 2 is not JSON'],
    ['a line that is not an Event', `${JSON.stringify(events[0])}\n\n[1,2]\n`, 'f: line 3 is not an audit Event (no auditID)'],
    ['an array item without auditID', JSON.stringify([events[0], { kind: 'Event' }]), 'f: item 2 is not an audit Event (no auditID)'],
    ['a JSON number', '42', 'f: item 1 is not an audit Event (no auditID)'],
  ])('refuses %s with the place that is wrong', (_label, text, message) => {
    expect(() => parseAuditEvents(text, 'f')).toThrow(AuditFileError);
    expect(() => parseAuditEvents(text, 'f')).toThrow(message);
  });
});
