/**
 * Per-request approval: a request an `approve` rule matched is held while the policy service
 * collects the approvers' votes, then released or refused. The approval is opened with the request
 * exactly as it will be forwarded, so approvers see what they approve, and the request is released
 * only when the approval is bound to this very request (its digest). The requester sees on stderr
 * what is held, secrets masked, and the command approvers run. A client that gives up ends the
 * wait; an approval that times out (its own expiry, or the broker's longest hold) refuses it.
 */
import type { Detector } from '../../mask/detectors.js';
import { maskWords } from '../../mask/request-uri.js';
import type { ApprovalView, PolicyClient, RequestApprovalBody } from '../../policy/client.js';
import { heldRequestDigest } from '../../policy/held-request.js';
import type { HeldRequest, HoldOutcome } from '../pipeline/types.js';

export interface ApprovalHoldOptions {
  /** Where approvals are opened and watched: the policy service's API (broker) or the service itself (gateway). */
  client: Pick<PolicyClient, 'requestApproval' | 'getApproval'>;
  cluster: string;
  /** Progress for the person or CI log (stderr). */
  status: (line: string) => void;
  /** Run over the exec command in the requester's status lines, so a secret typed into it stays off the terminal log. */
  detectors: readonly Detector[];
  /** Longest hold in ms; default 15 min. */
  maxWaitMs?: number;
}

function describe(request: HeldRequest): string {
  const { info } = request;
  if (['exec', 'attach', 'portforward'].includes(info.subresource)) {
    return `${info.subresource} in pod ${info.name} in ${info.namespace}${request.command.length ? ` (${request.command.join(' ')})` : ''}`;
  }
  const what = info.subresource ? `${info.resource}/${info.subresource}` : info.resource || info.path;
  const where = info.namespace ? ` in ${info.namespace}` : '';
  const name = info.name ? ` ${info.name}` : '';
  const command = request.command.length ? ` (${request.command.join(' ')})` : '';
  return `${info.verb} ${what}${name}${where}${command}`;
}

function refusedBy(approval: ApprovalView, request: HeldRequest): string {
  const text = request.message ? `${request.rule}: ${request.message}` : request.rule;
  if (approval.state === 'denied') {
    const vote = approval.votes.find((v) => v.decision === 'deny');
    return `${text} — approval ${approval.id} was denied${vote ? ` by ${vote.approver.name}${vote.reason ? `: ${vote.reason}` : ''}` : ''}`;
  }
  return `${text} — approval ${approval.id} was not granted in time (${approval.state})`;
}

/**
 * What the approval is opened for: the held request exactly as it will be forwarded. The service
 * shows it in full to approvers only and masks it for everyone else.
 */
export function approvalRequestBody(cluster: string, held: HeldRequest): RequestApprovalBody {
  return { cluster, rule: held.rule, request: held.exact };
}

/** Whether `approval` was given for exactly this request (same method, URL, Content-Type and body). */
export function approvesExactly(approval: Pick<ApprovalView, 'request'>, held: HeldRequest): boolean {
  return approval.request?.digest !== undefined && approval.request.digest === heldRequestDigest(held.exact);
}

/** The `holdForApproval` function of a pipeline. */
export function createApprovalHold(options: ApprovalHoldOptions): (request: HeldRequest) => Promise<HoldOutcome> {
  const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
  const hold = async (held: HeldRequest): Promise<HoldOutcome> => {
    const request = { ...held, command: maskWords(held.command, options.detectors) };
    let approval = await options.client.requestApproval(approvalRequestBody(options.cluster, held));
    options.status(`kgate: ${describe(request)} is held for approval (${request.rule}). Approvers run: kgate approve ${approval.id}`);
    const deadline = Math.min(Date.now() + maxWaitMs, approval.expiresAt);
    while (approval.state === 'pending' && Date.now() < deadline && !request.signal.aborted) {
      const seconds = Math.max(1, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
      approval = await options.client.getApproval(approval.id, { revision: approval.revision, seconds });
    }
    if (approval.state === 'approved' && !approvesExactly(approval, held)) {
      const reason = `${request.rule}: approval ${approval.id} was given for a different request than this one; refused`;
      options.status(`kgate: ${reason}`);
      return { approved: false, approvalId: approval.id, reason };
    }
    if (approval.state === 'approved') {
      options.status(`kgate: approval ${approval.id} granted; ${describe(request)} proceeds`);
      return { approved: true, approvalId: approval.id };
    }
    if (request.signal.aborted) return { approved: false, approvalId: approval.id, reason: 'the client went away while the request was held' };
    const reason = refusedBy(approval, request);
    options.status(`kgate: ${reason}`);
    return { approved: false, approvalId: approval.id, reason };
  };
  return async (request) => {
    try {
      return await hold(request);
    } catch (error) {
      const reason = `${request.rule}: this request needs approval, and the policy service could not be asked (${(error as Error).message})`;
      options.status(`kgate: ${reason}`);
      return { approved: false, reason };
    }
  };
}
