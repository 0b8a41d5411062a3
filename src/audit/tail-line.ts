/**
 * One audit event as one line, for `kgate audit tail`: events arrive a few at a time while
 * following, so a table whose columns are sized on the rows it holds would jump about.
 */
import { KGATE_ANNOTATIONS, type AuditEvent } from './event.js';

/** `TIME DECISION PRINCIPAL VERB TARGET`, with `-` for what the event lacks. */
export function tailLine(event: AuditEvent): string {
  const a = event.annotations ?? {};
  const ref = event.objectRef;
  const resource = ref?.resource ? (ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource) : undefined;
  const name = ref?.name ? `${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}` : ref?.namespace;
  const target = resource ? [resource, name].filter(Boolean).join(' ') : event.requestURI;
  const time = event.stageTimestamp || event.requestReceivedTimestamp;
  return [time, a[KGATE_ANNOTATIONS.decision] ?? '-', a[KGATE_ANNOTATIONS.principal] ?? '-', event.verb || '-', target || '-'].join('  ');
}
