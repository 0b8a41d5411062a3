/**
 * What a port-forward request asks for, read from the canonical URL the broker forwards: the pod
 * and the `ports` list, converted as the apiserver converts `PodPortForwardOptions.Ports`
 * (repeated or comma-separated, each 1–65535). The relay needs the ports to know which channels
 * exist (two per port) and audit names them.
 */

/** The session facts audit needs. */
export interface PortForwardTarget {
  namespace: string;
  pod: string;
  /** In request order; port i uses channels 2i (data) and 2i+1 (errors). */
  ports: number[];
}

const PORT_FORWARD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Parses the `ports` query values; a reason when one is missing or not a port number. */
export function parsePorts(values: readonly string[]): { ok: true; ports: number[] } | { ok: false; reason: string } {
  if (values.length === 0) return { ok: false, reason: 'at least one port must be specified' };
  const ports: number[] = [];
  for (const text of values.flatMap((v) => v.split(','))) {
    const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 1 && port <= 65535)) return { ok: false, reason: `unable to parse "${text}" as a port number` };
    ports.push(port);
  }
  return { ok: true, ports };
}

/**
 * Parses a canonical port-forward URL (path plus query). Undefined for any other path; a reason
 * when the ports are unusable.
 */
export function parsePortForwardTarget(canonicalUrl: string): { ok: true; target: PortForwardTarget } | { ok: false; reason: string } | undefined {
  const queryAt = canonicalUrl.indexOf('?');
  const match = PORT_FORWARD_PATH.exec(queryAt < 0 ? canonicalUrl : canonicalUrl.slice(0, queryAt));
  if (!match) return undefined;
  const query = new URLSearchParams(queryAt < 0 ? '' : canonicalUrl.slice(queryAt + 1));
  const parsed = parsePorts(query.getAll('ports'));
  if (!parsed.ok) return parsed;
  return { ok: true, target: { namespace: decodeSegment(match[1]!), pod: decodeSegment(match[2]!), ports: parsed.ports } };
}
