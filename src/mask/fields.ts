/**
 * Field names the masker and the JSON-patch guard both key on, so both always mean the same places.
 */

/** The annotation `kubectl apply` keeps the applied manifest in, Secret data and all. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Arrays of containers, wherever they sit (Pods, workload templates, custom resources): env values are masked by name in them. */
export const CONTAINER_ARRAYS: ReadonlySet<string> = new Set(['containers', 'initContainers', 'ephemeralContainers']);
