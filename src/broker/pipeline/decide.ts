/**
 * Stage 3: the guardrails, evaluated locally with the same evaluator the policy service uses.
 * A deny is final; an approve needs a per-request approval, which the pipeline holds the request
 * for when it has an approval service, and refuses otherwise.
 */
import type { RequestInfo } from '../../kube/request-info.js';
import { forbidden, type StatusResponse } from '../../kube/status.js';
import { decideRequest, type RequestAttributes, type RequestDecision } from '../../policy/evaluate-request.js';
import type { GuardrailRule, MaskingConfig, Policy, Principal } from '../../policy/types.js';

/** The minimal Policy `decideRequest` needs: the current rules and masking, nothing else. */
export function guardrailPolicy(rules: GuardrailRule[], masking: MaskingConfig): Policy {
  return { clusters: [], issuers: [], grants: [], rules, masking };
}

/** The guardrail attributes of a request (the exec command only for pods/exec). */
export function requestAttributes(info: RequestInfo, command: string[] = []): RequestAttributes {
  const attributes: RequestAttributes = {
    verb: info.verb, apiGroup: info.apiGroup, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name,
  };
  if (info.subresource === 'exec') attributes.command = command;
  return attributes;
}

/** What the guardrails decided, for the rules given. */
export function decideGuardrails(rules: GuardrailRule[], masking: MaskingConfig, principal: Principal, cluster: string, attributes: RequestAttributes): RequestDecision {
  return decideRequest(guardrailPolicy(rules, masking), principal, cluster, attributes);
}

/**
 * The rule's own words, as users see them in a refusal or an access review; for an `approve`
 * rule also whether the broker can hold the request for a person to decide.
 */
export function decisionReason(decision: RequestDecision, canHold = false): string {
  const rule = decision.rule ?? 'guardrail';
  const text = decision.message ? `${rule}: ${decision.message}` : rule;
  if (decision.effect !== 'approve') return text;
  if (canHold) return `${text} (kgate holds such a request until an approver decides)`;
  return `${text} (this request needs approval, and this broker has no approval service to ask, so it is refused)`;
}

/** The 403 Status for a deny or approve decision; undefined when the request is allowed. */
export function guardrailRefusal(info: RequestInfo, user: string, decision: RequestDecision): StatusResponse | undefined {
  if (decision.effect === 'allow') return undefined;
  return forbidden(info, user, decisionReason(decision));
}
