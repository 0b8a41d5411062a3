/**
 * Secrets people type into a command line: `kubectl exec … -- sh -c 'curl -H "Authorization:
 * Bearer eyJ…"'` puts them in the exec URL's `command` parameters. What kgate writes down about a
 * request — audit events, recording headers, approval requests — keeps the words but not the
 * secrets: every query value and command word goes through the text detectors.
 */
import { maskText, type Detector } from './detectors.js';

/** `words` with each detector hit replaced by its marker. */
export function maskWords(words: readonly string[], detectors: readonly Detector[]): string[] {
  return words.map((word) => maskText(word, detectors).text);
}

/**
 * One query component (a key or a value) with its secrets masked: decoded as Go decodes queries
 * (`+` is a space), masked, encoded again only when something was masked. A component that does
 * not decode is masked as it stands.
 */
function maskComponent(raw: string, detectors: readonly Detector[]): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return maskText(raw, detectors).text;
  }
  const masked = maskText(decoded, detectors);
  return masked.count === 0 ? raw : encodeURIComponent(masked.text);
}

/**
 * The request URI with secrets in its query masked, in values and in keys alike (a key is as
 * much the caller's text as a value); the path and parameter order are kept.
 */
export function maskRequestUri(uri: string, detectors: readonly Detector[]): string {
  const at = uri.indexOf('?');
  if (at < 0 || detectors.length === 0) return uri;
  const pairs = uri
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return maskComponent(pair, detectors);
      return `${maskComponent(pair.slice(0, eq), detectors)}=${maskComponent(pair.slice(eq + 1), detectors)}`;
    });
  return `${uri.slice(0, at)}?${pairs.join('&')}`;
}
