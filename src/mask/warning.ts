/**
 * The `Warning` response header that tells kubectl users values were masked. client-go shows
 * code-299 warnings as `Warning: <text>` on stderr (client-go rest/warnings.go).
 */

/**
 * Quotes `text` as an RFC 7234 §5.5 warn-text (a quoted-string): `"` and `\` are backslash-escaped;
 * control characters, which a quoted-string cannot hold, become spaces.
 */
export function quoteWarnText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ');
  return `"${printable.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The `Warning` header value for a response in which `count` values were masked, e.g.
 * `299 - "kgate masked 3 secret values in this response"`, or undefined when nothing was masked.
 */
export function maskingWarningHeader(count: number): string | undefined {
  if (!Number.isInteger(count) || count <= 0) return undefined;
  const what = count === 1 ? '1 secret value' : `${count} secret values`;
  return `299 - ${quoteWarnText(`kgate masked ${what} in this response`)}`;
}
