/**
 * The policy service's domain: who asks (Principal), what they ask for (GrantRequest), what they get
 * (Grant), who must agree (Approval), and the typed policy that decides. Shared by the pure evaluator
 * (src/policy/evaluate*.ts), the stores (src/policy/store/), the cluster adapters (src/cluster/) and
 * the HTTP service (src/policy/server/). Nothing here does I/O.
 */

/** A verified caller: issuer + subject (+ client id), never a raw token. */
export interface Principal {
  issuer: string;
  subject: string;
  /** OAuth client the token was issued to (`client_id` / `azp`), when present. */
  clientId?: string;
  /** Display name: the configured principal claim (e.g. preferred_username), else subject. */
  name: string;
  type: 'human' | 'workload';
  groups: string[];
  /** All verified claims, for subject matching on workload claims (repository, ref, namespace…). */
  claims: Record<string, unknown>;
}

/** Stable identifier of a principal: used for ownership and self-approval checks. */
export function principalId(p: Pick<Principal, 'issuer' | 'subject'>): string {
  return `${p.issuer}#${p.subject}`;
}

// ── policy (what policy files say, after validation) ──────────────────────────────────────────

/**
 * Where the gate runs for a cluster. `gateway`: in the policy service, which alone holds the
 * cluster credential (callers get gateway credentials the API server never accepts). `broker`: on
 * the caller's machine, which then holds a grant-scoped token for minutes — only for trusted machines.
 */
export type AccessMode = 'gateway' | 'broker';

export type ClusterConfig =
  | {
      name: string;
      type: 'eks';
      access: AccessMode;
      region: string;
      clusterName: string;
      roleArn: string;
      /** Must contain {{SessionName}}; the EKS access entry for roleArn uses the same template. */
      usernameTemplate: string;
      /** Endpoint overrides (the sim, VPC endpoints). */
      stsEndpoint?: string;
      eksEndpoint?: string;
      /** Extra CA bundle (PEM file) for STS/EKS/apiserver TLS. */
      caFile?: string;
    }
  | {
      name: string;
      type: 'kubernetes';
      access: AccessMode;
      kubeconfig: string;
      context?: string;
    };

export interface IssuerConfig {
  issuer: string;
  audience: string;
  /** Claim holding groups; default `groups`. */
  groupsClaim: string;
  /** Claim naming the principal; default `sub`. */
  principalClaim: string;
  /** `human` for a company IdP's people, `workload` for CI/SA issuers; per-token override below. */
  type: 'human' | 'workload';
  /** OAuth clients whose tokens are machines even on a human issuer (client credentials). */
  workloadClients: string[];
  jwksUri?: string;
  caFile?: string;
}

/** Who may request a grant template: any one matcher that fully matches admits the principal. */
export interface SubjectMatcher {
  groups?: string[];
  clientIds?: string[];
  issuer?: string;
  /** Exact (or `*` glob) matches on verified claims. */
  claims?: Record<string, string>;
  principals?: string[];
}

export interface ApprovalRule {
  /** Groups whose members may approve. */
  groups: string[];
  /** Distinct approvers needed. */
  count: number;
  /** How long an approval stays valid (ms). */
  expiresAfterMs: number;
}

export interface GrantTemplate {
  name: string;
  description?: string;
  clusters: string[];
  clusterRole: string;
  /** `['*']` = cluster-wide (ClusterRoleBinding); else one RoleBinding per namespace. */
  namespaces: string[];
  maxTtlMs: number;
  defaultTtlMs: number;
  subjects: SubjectMatcher[];
  approval?: ApprovalRule;
  /** Members may self-activate with a reason; audited loudly. */
  breakGlass?: { groups: string[] };
  reasonRequired: boolean;
}

export type RuleEffect = 'allow' | 'deny' | 'approve';

export interface RequestMatch {
  verbs?: string[];
  /** `resource` or `resource/subresource`, `*` allowed; group via `apiGroups`. */
  resources?: string[];
  apiGroups?: string[];
  namespaces?: string[];
  names?: string[];
  /** Glob patterns over the exec command joined with spaces. */
  commands?: string[];
  principals?: SubjectMatcher[];
  clusters?: string[];
}

export interface GuardrailRule {
  name: string;
  match: RequestMatch;
  effect: RuleEffect;
  message: string;
  approval?: ApprovalRule;
}

export interface MaskingConfig {
  secrets: boolean;
  lastAppliedConfiguration: boolean;
  envNamePatterns: string[];
  configMapKeys: string[];
  annotations: string[];
  detectors: string[];
  exemptGroups: string[];
}

export interface Policy {
  clusters: ClusterConfig[];
  issuers: IssuerConfig[];
  grants: GrantTemplate[];
  rules: GuardrailRule[];
  masking: MaskingConfig;
}

// ── grants and approvals (state the service keeps) ──────────────────────────────────────────

export interface GrantRequest {
  cluster: string;
  grant: string;
  namespaces?: string[];
  /** Asked TTL; `Infinity` for a well-formed one too long to count, which is above every maximum. */
  ttlMs?: number;
  reason?: string;
  breakGlass?: boolean;
}

export type GrantState = 'pending' | 'active' | 'denied' | 'expired' | 'revoked';

export interface Grant {
  /** Short, DNS-label-safe random id; the STS session is `grant-<id>`. */
  id: string;
  state: GrantState;
  principal: Principal;
  cluster: string;
  template: string;
  clusterRole: string;
  namespaces: string[];
  ttlMs: number;
  reason?: string;
  breakGlass: boolean;
  createdAt: number;
  activatedAt?: number;
  expiresAt?: number;
  endedAt?: number;
  endedBy?: string;
  /** Why denied / revoked. */
  message?: string;
  approval?: ApprovalRule;
  /** Monotonic per-grant revision, for long-poll "changed since". */
  revision: number;
}

export interface ApprovalVote {
  approver: Principal;
  decision: 'approve' | 'deny';
  reason?: string;
  at: number;
}

/** A pending decision: on a grant, or on one held API request from a broker. */
export interface Approval {
  id: string;
  kind: 'grant' | 'request';
  state: 'pending' | 'approved' | 'denied' | 'expired';
  requester: Principal;
  cluster: string;
  rule: ApprovalRule;
  grantId?: string;
  /**
   * For request approvals, what everyone may see of the held request: its target and exec command
   * with secrets masked, and the digest of the exact request (method, URL, Content-Type, body) the
   * approval is bound to. The exact request itself is kept apart, for approvers only, while pending.
   */
  request?: {
    verb: string; path: string; namespace?: string; resource?: string; subresource?: string; name?: string; container?: string; command?: string[];
    /** `sha256:<hex>` of the held request (src/policy/held-request.ts). */
    digest: string;
    ruleName: string; message: string;
  };
  votes: ApprovalVote[];
  createdAt: number;
  expiresAt: number;
  revision: number;
  /** A request approval the gateway let one request through with (plain kubectl re-runs it). */
  consumedAt?: number;
}

/** What the credential endpoint returns to the grant's owner. */
export interface ClusterCredential {
  server: string;
  /** Base64 PEM, as kubeconfig `certificate-authority-data`. */
  caData: string;
  token: string;
  expiresAt: number;
}
