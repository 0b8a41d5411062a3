/**
 * The v1 wire types of the policy service, shared by the server and the client
 * (src/policy/client.ts). Principals go out without their raw claims.
 */
import type { ApprovalDetailView } from '../approver-view.js';
import type { HeldRequestDetail } from '../held-request.js';
import type { Approval, ApprovalVote, ClusterCredential, Grant, GuardrailRule, MaskingConfig, Principal } from '../types.js';
import { principalId } from '../types.js';

export type { ApprovalDetailView, HeldBodyView, Highlight, HighlightedText, PatchType } from '../approver-view.js';
export type { HeldRequestDetail } from '../held-request.js';

/** A principal as the API shows it. */
export interface PrincipalView {
  /** `issuer#subject`, the stable id used for ownership and self-approval checks. */
  id: string;
  issuer: string;
  subject: string;
  clientId?: string;
  name: string;
  type: 'human' | 'workload';
  groups: string[];
}

/** A grant as the API shows it, with its cluster's access mode (where the gate runs). */
export type GrantView = Omit<Grant, 'principal'> & { principal: PrincipalView; approvalId?: string; access?: 'gateway' | 'broker' };

export type ApprovalView = Omit<Approval, 'requester' | 'votes'> & {
  requester: PrincipalView;
  votes: (Omit<ApprovalVote, 'approver'> & { approver: PrincipalView })[];
  /**
   * The held request exactly as it will be forwarded, secrets in full with highlight ranges: only
   * for a caller who may decide this pending request approval, never for its requester.
   */
  detail?: ApprovalDetailView;
};

/** `POST /v1/grants` body. */
export interface GrantRequestBody {
  cluster: string;
  grant: string;
  namespaces?: string[];
  /** A duration such as `30m` or `1h`; default from the template. */
  ttl?: string;
  reason?: string;
  breakGlass?: boolean;
}

/** `POST /v1/approvals` body: a gate holding one API request, exactly as it would forward it. */
export interface RequestApprovalBody {
  cluster: string;
  request: HeldRequestDetail;
  /** The guardrail rule that held the request. */
  rule: string;
}

export type CredentialView = ClusterCredential;

/**
 * `POST /v1/grants/:id/gateway-credentials` response: a bearer only the kgate gateway accepts,
 * for one grant on one cluster, served under `path` on the policy service's URL.
 */
export interface GatewayCredentialView {
  id: string;
  /** `kgate-gw.…`; shown once, stored by the service only as a digest. */
  token: string;
  grant: string;
  cluster: string;
  purpose: 'run' | 'context';
  /** Epoch ms. */
  expiresAt: number;
  /** e.g. `/gateway/clusters/prod`: the cluster's API under the service's URL. */
  path: string;
}

/** `GET /v1/policy/rules` response. */
export interface PolicyRulesView {
  cluster: string;
  rules: GuardrailRule[];
  masking: MaskingConfig;
}

/** `GET /v1/grant-templates` item: a template the caller may request. */
export interface GrantTemplateView {
  name: string;
  description?: string;
  /** Clusters the template is offered on. */
  clusters: string[];
  /** How each of `clusters` is reached: through the kgate gateway, or a grant-scoped credential for a local broker. */
  access: Record<string, 'gateway' | 'broker'>;
  clusterRole: string;
  /** `['*']` = every namespace. */
  namespaces: string[];
  defaultTtlMs: number;
  maxTtlMs: number;
  /** Present when a grant waits for approvers. */
  approval?: { groups: string[]; count: number };
  reasonRequired: boolean;
  /** Every grant of it is break-glass (active at once for the break-glass groups, audited loudly). */
  breakGlassOnly: boolean;
}

/** A list response. */
export interface ListView<T> {
  items: T[];
}

/** The view of a principal (drops raw claims). */
export function principalView(p: Principal): PrincipalView {
  return {
    id: principalId(p),
    issuer: p.issuer,
    subject: p.subject,
    ...(p.clientId === undefined ? {} : { clientId: p.clientId }),
    name: p.name,
    type: p.type,
    groups: p.groups,
  };
}

export function grantView(grant: Grant, approvalId?: string): GrantView {
  return { ...grant, principal: principalView(grant.principal), ...(approvalId ? { approvalId } : {}) };
}

/** The view of an approval; `detail` only for a caller who may decide it (see routes-approvals.ts). */
export function approvalView(approval: Approval, detail?: ApprovalDetailView): ApprovalView {
  return {
    ...approval,
    requester: principalView(approval.requester),
    votes: approval.votes.map((v) => ({ ...v, approver: principalView(v.approver) })),
    ...(detail ? { detail } : {}),
  };
}
