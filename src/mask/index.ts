/**
 * kgate's masking engine: pure, no I/O. Structural masking of Kubernetes JSON
 * (object-masker.ts, with the Secret allowlist and copied values), the guard that refuses JSON
 * patches which would reveal a masked value (patch-guard.ts), regex detectors for free text
 * (detectors.ts), streaming maskers for lists, watch streams and text streams, exact known values
 * (a pod's Secrets) in text streams (known-value-stream.ts), and the Warning header that tells
 * users values were masked.
 */
export { MaskError, toMaskError } from './errors.js';
export type { MaskErrorCode } from './errors.js';
export { MARKER_PREFIX, maskMarker, base64Marker, isMarked } from './marker.js';
export type { MaskReason } from './marker.js';
export { compileDetectors, maskText, findSecretSpans, replaceSpans, maxDetectorLength, DETECTOR_NAMES } from './detectors.js';
export type { Detector, SecretSpan, MaskedText } from './detectors.js';
export { createMasker, maskerFor, maskerForTarget, LAST_APPLIED_ANNOTATION } from './object-masker.js';
export type { Masker, MaskContext, MaskResult, MaskerOptions, MaskTarget } from './object-masker.js';
export { createPatchGuard } from './patch-guard.js';
export type { PatchGuard, PatchTarget, PatchVerdict } from './patch-guard.js';
export { maskJsonBody } from './body.js';
export type { MaskedBody } from './body.js';
export { toTransform, maskChunks, maskAllChunks } from './chunk-masker.js';
export type { ChunkMasker } from './chunk-masker.js';
export { createListStreamMasker } from './stream-json.js';
export type { ListStreamOptions } from './stream-json.js';
export { createWatchStreamMasker } from './stream-watch.js';
export type { WatchStreamOptions } from './stream-watch.js';
export { createTextStreamMasker } from './text-stream.js';
export { compileKnownValues, createKnownValueMasker, maskKnownValues, knownValueForms, MIN_KNOWN_VALUE_BYTES, MAX_KNOWN_VALUE_BYTES } from './known-value-stream.js';
export type { KnownValueSet } from './known-value-stream.js';
export { chainMaskers } from './chain.js';
export { createPodOutputMasker } from './pod-output.js';
export { maskingWarningHeader, quoteWarnText } from './warning.js';
