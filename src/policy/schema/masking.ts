/**
 * `spec.masking`: what the broker hides in responses and streams. Every field has a default that
 * masks, so leaving `masking` out means "mask everything kgate knows how to"; turning something off
 * takes an explicit `false` or empty list.
 */
import type { MaskingConfig } from '../types.js';
import { readGlobs } from './fields.js';
import type { ValueReader } from './reader.js';
import { didYouMean } from './suggest.js';

const MASKING_FIELDS = ['secrets', 'lastAppliedConfiguration', 'envNamePatterns', 'configMapKeys', 'annotations', 'detectors', 'exemptGroups'];

/** Detectors the masking engine knows by name; a `/regex/` entry adds a custom one. */
export const BUILTIN_DETECTORS = [
  'aws-access-key-id',
  'aws-secret-access-key',
  'jwt',
  'pem-private-key',
  'github-token',
  'slack-token',
  'password-assignment',
] as const;

/** Masking when a policy says nothing: everything on. */
export function defaultMasking(): MaskingConfig {
  return {
    secrets: true,
    lastAppliedConfiguration: true,
    envNamePatterns: ['*PASSWORD*', '*PASSWD*', '*SECRET*', '*TOKEN*', '*API_KEY*', '*PRIVATE_KEY*', '*CREDENTIAL*'],
    configMapKeys: ['*password*', '*secret*', '*token*', '*.pem', '*.key'],
    annotations: [],
    detectors: [...BUILTIN_DETECTORS],
    exemptGroups: [],
  };
}

const CUSTOM_DETECTOR = /^\/(.+)\/([imsu]*)$/s;

/** Why a detector entry is not usable, or undefined. */
function detectorProblem(entry: string): string | undefined {
  const custom = CUSTOM_DETECTOR.exec(entry);
  if (custom) {
    try {
      new RegExp(custom[1]!, custom[2]);
      return undefined;
    } catch (error) {
      return `invalid regular expression: ${(error as Error).message}`;
    }
  }
  if ((BUILTIN_DETECTORS as readonly string[]).includes(entry)) return undefined;
  return `expected a detector (${BUILTIN_DETECTORS.join(', ')}) or a /regex/, got ${JSON.stringify(entry)}${didYouMean(entry, BUILTIN_DETECTORS)}`;
}

/** Reads `masking`, filling every field left out with its default. */
export function readMasking(r: ValueReader): MaskingConfig {
  const defaults = defaultMasking();
  const m = r.map(MASKING_FIELDS);
  if (!m) return defaults;
  const detectors: string[] = [];
  for (const item of m.field('detectors').list() ?? []) {
    const entry = item.string();
    if (entry === undefined) continue;
    const problem = detectorProblem(entry);
    if (problem) item.report(problem);
    else detectors.push(entry);
  }
  return {
    secrets: m.field('secrets').boolean() ?? defaults.secrets,
    lastAppliedConfiguration: m.field('lastAppliedConfiguration').boolean() ?? defaults.lastAppliedConfiguration,
    envNamePatterns: readGlobs(m.field('envNamePatterns')) ?? defaults.envNamePatterns,
    configMapKeys: readGlobs(m.field('configMapKeys')) ?? defaults.configMapKeys,
    annotations: readGlobs(m.field('annotations')) ?? defaults.annotations,
    detectors: m.field('detectors').present ? detectors : defaults.detectors,
    exemptGroups: m.field('exemptGroups').strings() ?? defaults.exemptGroups,
  };
}
