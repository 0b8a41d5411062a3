import { maskingWarningHeader, quoteWarnText } from '../../../src/mask/index.js';

describe('masking Warning header', () => {
  it('is a 299 warning with a quoted text, singular and plural', () => {
    expect(maskingWarningHeader(1)).toBe('299 - "kgate masked 1 secret value in this response"');
    expect(maskingWarningHeader(12)).toBe('299 - "kgate masked 12 secret values in this response"');
  });

  it('is absent when nothing was masked', () => {
    expect(maskingWarningHeader(0)).toBeUndefined();
    expect(maskingWarningHeader(-1)).toBeUndefined();
  });

  it('escapes quotes and backslashes and removes control characters (RFC 7234 quoted-string)', () => {
    expect(quoteWarnText('say "hi" \\ there\r\nnext')).toBe('"say \\"hi\\" \\\\ there  next"');
  });
});
