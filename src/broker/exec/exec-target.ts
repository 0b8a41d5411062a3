/**
 * What an exec or attach request asks for, read from the canonical URL the broker forwards
 * (docs/k8s-protocol.md §5.1: repeated `command`, `container`, and the stdin/stdout/stderr/tty flags).
 */

/** The session facts audit and recording need. */
export interface ExecTarget {
  subresource: 'exec' | 'attach';
  namespace: string;
  pod: string;
  command: string[];
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/;
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

// The apiserver converts query flags with strconv.ParseBool, so `stdin=1` counts as true.
function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && GO_TRUE.has(value);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Parses a canonical exec/attach URL (path plus query). Returns undefined for any other path,
 * so callers route only real exec/attach requests to the relay.
 */
export function parseExecTarget(canonicalUrl: string): ExecTarget | undefined {
  const queryAt = canonicalUrl.indexOf('?');
  const path = queryAt < 0 ? canonicalUrl : canonicalUrl.slice(0, queryAt);
  const match = STREAM_PATH.exec(path);
  if (!match) return undefined;
  const query = new URLSearchParams(queryAt < 0 ? '' : canonicalUrl.slice(queryAt + 1));
  const subresource = match[3] as ExecTarget['subresource'];
  return {
    subresource,
    namespace: decodeSegment(match[1]!),
    pod: decodeSegment(match[2]!),
    command: subresource === 'exec' ? query.getAll('command') : [],
    container: query.get('container') ?? '',
    stdin: flag(query, 'stdin'),
    stdout: flag(query, 'stdout'),
    stderr: flag(query, 'stderr'),
    tty: flag(query, 'tty'),
  };
}
