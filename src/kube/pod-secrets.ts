/**
 * Which Secrets a pod's processes can see, read from the pod object: environment variables
 * (`env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`) of every container, init container and
 * ephemeral container, and `secret` and `projected` volumes. Pure: the caller fetches the objects.
 */

/** A Secret a pod uses, and which of its keys (undefined: all of them). */
export interface SecretUse {
  name: string;
  keys?: string[];
}

type Json = Record<string, unknown>;

function objectAt(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function arrayAt(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringAt(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

class Uses {
  private readonly byName = new Map<string, Set<string> | 'all'>();

  all(name: string | undefined): void {
    if (name) this.byName.set(name, 'all');
  }

  key(name: string | undefined, key: string | undefined): void {
    if (!name || !key) return;
    const current = this.byName.get(name);
    if (current === 'all') return;
    this.byName.set(name, (current ?? new Set()).add(key));
  }

  /** A volume with `items` shows those keys only; without, every key. */
  items(name: string | undefined, items: unknown): void {
    const listed = arrayAt(items).map((item) => stringAt(objectAt(item)?.key));
    if (listed.length === 0) return this.all(name);
    for (const key of listed) this.key(name, key);
  }

  list(): SecretUse[] {
    return [...this.byName].map(([name, keys]) => (keys === 'all' ? { name } : { name, keys: [...keys].sort() }));
  }
}

/**
 * The Secrets `pod` uses, each once, with the keys its processes can read. Malformed parts of the
 * pod are skipped (the apiserver validated it; this only reads).
 */
export function secretsUsedBy(pod: unknown): SecretUse[] {
  const spec = objectAt(objectAt(pod)?.spec);
  const uses = new Uses();
  if (!spec) return [];
  const containers = [...arrayAt(spec.containers), ...arrayAt(spec.initContainers), ...arrayAt(spec.ephemeralContainers)];
  for (const container of containers.map(objectAt)) {
    for (const variable of arrayAt(container?.env)) {
      const ref = objectAt(objectAt(objectAt(variable)?.valueFrom)?.secretKeyRef);
      uses.key(stringAt(ref?.name), stringAt(ref?.key));
    }
    for (const source of arrayAt(container?.envFrom)) uses.all(stringAt(objectAt(objectAt(source)?.secretRef)?.name));
  }
  for (const volume of arrayAt(spec.volumes).map(objectAt)) {
    const secret = objectAt(volume?.secret);
    if (secret) uses.items(stringAt(secret.secretName), secret.items);
    for (const source of arrayAt(objectAt(volume?.projected)?.sources)) {
      const projected = objectAt(objectAt(source)?.secret);
      if (projected) uses.items(stringAt(projected.name), projected.items);
    }
  }
  return uses.list();
}

/**
 * The decoded values of `secret` (a Secret object as the apiserver returns it) for `use`'s keys:
 * `data` is base64; `stringData` is never returned by the apiserver but is honoured if present.
 */
export function secretValues(secret: unknown, use: Pick<SecretUse, 'keys'> = {}): Buffer[] {
  const object = objectAt(secret);
  const wanted = (key: string) => use.keys === undefined || use.keys.includes(key);
  const values: Buffer[] = [];
  for (const [key, value] of Object.entries(objectAt(object?.data) ?? {})) {
    if (wanted(key) && typeof value === 'string') values.push(Buffer.from(value, 'base64'));
  }
  for (const [key, value] of Object.entries(objectAt(object?.stringData) ?? {})) {
    if (wanted(key) && typeof value === 'string') values.push(Buffer.from(value, 'utf8'));
  }
  return values;
}
