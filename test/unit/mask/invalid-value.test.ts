import { goQuote } from '../../../src/kube/status.js';
import { invalidValues, readGoQuoted } from '../../../src/mask/invalid-value.js';

describe('values quoted in apiserver errors', () => {
  test.each([
    'plain',
    '{"apiVersion":"v1","data":{"password":"cHJvZA=="},"metadata":{"name":"a\\"b"}}',
    'tab\tnewline\nbell\x07 del\x7f',
    'ünïcödé 🔑 \u2028',
    '',
  ])('reads back what goQuote wrote: %j', (value) => {
    const quoted = goQuote(value);
    expect(readGoQuoted(`x ${quoted} y`, 2)).toEqual({ value, end: 2 + quoted.length });
  });

  test('refuses unclosed quotes and bad escapes', () => {
    expect(readGoQuoted('"abc', 0)).toBeUndefined();
    expect(readGoQuoted('"a\\q"', 0)).toBeUndefined();
    expect(readGoQuoted('"a\\u12"', 0)).toBeUndefined();
    expect(readGoQuoted('abc"', 0)).toBeUndefined();
  });

  test('finds every invalid value: quoted, bare scalars skipped, Go maps to the end', () => {
    const message = 'Secret "s" is invalid: [type: Invalid value: "x": field is immutable, data[a b]: Invalid value: 5: bad, patch: Invalid value: "{\\"a\\":1}": strict decoding error]';
    const found = invalidValues(message);
    expect(found.map((f) => f.value)).toEqual(['x', '{"a":1}']);
    expect(message.slice(found[1]!.start, found[1]!.end)).toBe('"{\\"a\\":1}"');
    const goMap = 'patch: Invalid value: map[string]interface {}{"data":"x"}: unknown';
    expect(invalidValues(goMap)).toEqual([{ start: goMap.indexOf('map['), end: goMap.length, value: undefined }]);
    expect(invalidValues('no values here')).toEqual([]);
  });
});
