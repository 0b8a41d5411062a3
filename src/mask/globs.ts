/**
 * The masking policy's glob lists (`envNamePatterns`, `configMapKeys`, `annotations`), each
 * compiled to one linear-time matcher, shared by the object masker and the JSON-patch guard so
 * both mark exactly the same names.
 */
import { compileGlobs, type GlobMatcher } from '../policy/glob.js';
import { MaskError } from './errors.js';

/**
 * One matcher that matches what any glob of `patterns` matches (whole names); undefined for an
 * empty list, which marks nothing.
 * @throws MaskError `MASK_CONFIG` for an invalid glob.
 */
export function compileGlobList(patterns: readonly string[], ignoreCase: boolean): GlobMatcher | undefined {
  try {
    return compileGlobs(patterns, { ignoreCase });
  } catch (error) {
    throw new MaskError('MASK_CONFIG', `masking policy has an invalid glob: ${(error as Error).message}`, { cause: error });
  }
}

/** The compiled name lists of one masking policy. */
export interface MarkedNames {
  /** Env var names whose values are masked (case-insensitive). */
  envNames: GlobMatcher | undefined;
  /** ConfigMap `data` / `binaryData` keys whose values are masked. */
  configMapKeys: GlobMatcher | undefined;
  /** Annotation keys whose values are masked whole. */
  annotations: GlobMatcher | undefined;
}

/**
 * Compiles the three name lists of a masking policy.
 * @throws MaskError `MASK_CONFIG` for an invalid glob.
 */
export function compileMarkedNames(config: { envNamePatterns: readonly string[]; configMapKeys: readonly string[]; annotations: readonly string[] }): MarkedNames {
  return {
    envNames: compileGlobList(config.envNamePatterns, true),
    configMapKeys: compileGlobList(config.configMapKeys, false),
    annotations: compileGlobList(config.annotations, false),
  };
}
