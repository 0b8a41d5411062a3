/**
 * What replaces a masked value. The marker is fixed per reason so it reveals neither the value nor
 * its length, and it is recognisable so masking twice never masks a marker.
 */

/** Every marker starts with this. */
export const MARKER_PREFIX = '***MASKED:';

/** Why a value was masked, shown inside the marker. Detector names are reasons too. */
export type MaskReason = 'secret' | 'env' | 'configmap' | 'annotation' | 'token' | 'last-applied' | (string & {});

/** The plain-text marker, e.g. `***MASKED:secret***`. */
export function maskMarker(reason: MaskReason): string {
  return `${MARKER_PREFIX}${reason}***`;
}

const base64Markers = new Map<string, string>();

/**
 * The marker as standard base64, for fields typed `[]byte` (Secret `data`, ConfigMap `binaryData`),
 * so typed clients still decode the object.
 */
export function base64Marker(reason: MaskReason): string {
  let encoded = base64Markers.get(reason);
  if (encoded === undefined) {
    encoded = Buffer.from(maskMarker(reason), 'utf8').toString('base64');
    base64Markers.set(reason, encoded);
  }
  return encoded;
}

const MARKER = /^\*\*\*MASKED:[A-Za-z0-9_.-]{1,64}\*\*\*$/;

/**
 * Whether `text` is exactly a marker, so it must not be masked again. Only exactly: a value that
 * merely starts with one (`***MASKED:x***hunter2`) is a value like any other, or writing that
 * prefix in front of a secret would hide it from every detector.
 */
export function isMarked(text: string): boolean {
  return text.startsWith(MARKER_PREFIX) && MARKER.test(text);
}
