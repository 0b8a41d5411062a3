/**
 * Approval holds at the gateway. A `kgate exec` or `kgate session` run (a `run` credential) can
 * show a wait, so its held request waits for the decision like in the local broker (the run learns
 * of the hold by long-polling its own pending approvals). A plain kubectl context cannot show a
 * wait: its request is refused at once with a Status naming the approval, and once approved the
 * same request — the same digest over method, URL (target, command, options), Content-Type and body
 * bytes — is let through once, for a while. Masked commands are never compared: two commands that
 * differ only in a part a detector masks look the same to everyone but approvers.
 */
import type { Detector } from '../../mask/detectors.js';
import { approvalView, type ApprovalView, type RequestApprovalBody } from '../../policy/server/api.js';
import type { Approval, Principal } from '../../policy/types.js';
import { principalId } from '../../policy/types.js';
import type { HeldRequest, HoldOutcome } from '../pipeline/types.js';
import { heldRequestDigest } from '../../policy/held-request.js';
import { approvalRequestBody, createApprovalHold } from '../runtime/approval-hold.js';

/** How long an approved request may be re-run by a client that could not wait for it. */
export const APPROVED_REQUEST_WINDOW_MS = 10 * 60_000;

/** The service's approvals, in-process. */
export interface ApprovalDesk {
  open(who: Principal, body: RequestApprovalBody): Promise<Approval>;
  get(id: string): Promise<Approval | undefined>;
  /** Re-reads `id` until its revision passes `revision`, `ms` pass or `signal` aborts. */
  wait(id: string, revision: number, ms: number, signal?: AbortSignal): Promise<Approval | undefined>;
  /** Approved request approvals of `principal` on `cluster` not used yet. */
  approvedRequests(principal: string, cluster: string): Promise<Approval[]>;
  /** Marks one used; true for exactly one caller. */
  consume(id: string): Promise<boolean>;
  now(): number;
}

export interface GatewayHoldOptions {
  desk: ApprovalDesk;
  requester: Principal;
  cluster: string;
  detectors: readonly Detector[];
  /** Whether the client can show a wait (`kgate exec`, `kgate session`). */
  canWait: boolean;
  log: (line: string) => void;
}

/** Whether an approval was given for exactly this request, under the same rule. */
function sameRequest(approval: Approval, body: RequestApprovalBody): boolean {
  const a = approval.request;
  return a !== undefined && a.ruleName === body.rule && a.digest === heldRequestDigest(body.request);
}

function approvedAt(approval: Approval): number {
  return Math.max(0, ...approval.votes.filter((v) => v.decision === 'approve').map((v) => v.at));
}

/** The pipeline's `holdForApproval` for one gateway session. */
export function createGatewayHold(options: GatewayHoldOptions): (request: HeldRequest) => Promise<HoldOutcome> {
  const { desk, requester, cluster } = options;
  if (options.canWait) {
    const client = {
      requestApproval: async (body: RequestApprovalBody): Promise<ApprovalView> => approvalView(await desk.open(requester, body)),
      getApproval: async (id: string, wait?: { revision: number; seconds: number }): Promise<ApprovalView> => {
        const approval = wait ? await desk.wait(id, wait.revision, wait.seconds * 1000) : await desk.get(id);
        if (!approval) throw new Error(`approval ${id} is gone`);
        return approvalView(approval);
      },
    };
    return createApprovalHold({ client, cluster, detectors: options.detectors, status: options.log });
  }
  return async (request) => {
    const body = approvalRequestBody(cluster, request);
    const now = desk.now();
    const reusable = (await desk.approvedRequests(principalId(requester), cluster))
      .filter((a) => sameRequest(a, body) && approvedAt(a) + APPROVED_REQUEST_WINDOW_MS > now);
    for (const approval of reusable) {
      if (await desk.consume(approval.id)) return { approved: true, approvalId: approval.id };
    }
    const approval = await desk.open(requester, body);
    options.log(`request held for approval ${approval.id} (${request.rule}); refused at once, the client cannot wait`);
    const text = request.message ? `${request.rule}: ${request.message}` : request.rule;
    const reason = `${text} — held for approval ${approval.id}. Ask an approver to run: kgate approve ${approval.id}; ` +
      `once approved, run the same command again within ${APPROVED_REQUEST_WINDOW_MS / 60_000} minutes`;
    return { approved: false, approvalId: approval.id, reason };
  };
}

