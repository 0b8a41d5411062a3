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

/** The request URI with secrets in its query values masked (the path and parameter order kept). */
export function maskRequestUri(uri: string, detectors: readonly Detector[]): string {
  const at = uri.indexOf('?');
  if (at < 0 || detectors.length === 0) return uri;
  const pairs = uri.slice(at + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return pair;
    }
    const masked = maskText(value, detectors);
    return masked.count === 0 ? pair : `${pair.slice(0, eq)}=${encodeURIComponent(masked.text)}`;
  });
  return `${uri.slice(0, at)}?${pairs.join('&')}`;
}
