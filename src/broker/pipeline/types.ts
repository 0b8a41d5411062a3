/**
 * The options and audit facts of the broker's HTTP request pipeline. The pipeline emits one
 * {@link PipelineAuditRecord} per request or exec session through `onAudit`; whoever wires the
 * broker turns those into the audit log.
 */
import type { ExecRecorder, ExecSessionSummary, PortForwardSessionSummary } from '../exec/index.js';
import type { RequestInfo } from '../../kube/request-info.js';
import type { StatusResponse } from '../../kube/status.js';
import type { HeldRequestDetail } from '../../policy/held-request.js';
import type { GuardrailRule, MaskingConfig, Principal } from '../../policy/types.js';

/** A bearer token for the apiserver and when it stops working (ms since the epoch). */
export interface UpstreamToken {
  token: string;
  expiresAt: number;
}

/** The apiserver the pipeline forwards to. */
export interface UpstreamConfig {
  /** Base URL, e.g. `https://127.0.0.1:6443`. */
  url: string;
  /** PEM bundle that signs the apiserver's certificate. */
  ca: string;
  /** Fetches a current token; called again when the apiserver answers 401. */
  token: () => Promise<UpstreamToken>;
  /** Time allowed for the apiserver's response headers (default 60 s); bodies have no limit (watches). */
  headersTimeoutMs?: number;
}

/** What the pipeline did with one request. */
export type PipelineOutcome = 'forwarded' | 'refused' | 'denied' | 'approval-required' | 'answered-locally' | 'upstream-error' | 'mask-error';

/** Audit facts for one request or exec session. */
export interface PipelineAuditRecord {
  /** The Audit-Id the broker sent upstream and returned to the client. */
  auditId: string;
  method: string;
  /** The only URL forwarded; absent when canonicalisation refused the request. */
  canonicalUrl?: string;
  info?: RequestInfo;
  decision: 'allow' | 'deny' | 'approve' | 'none';
  rule?: string;
  outcome: PipelineOutcome;
  /** The status code the client got (0 when the connection was reset after headers). */
  statusCode: number;
  maskedCount: number;
  startedAt: Date;
  endedAt: Date;
  /** A short reason for refusals and failures; never a body value or token. */
  error?: string;
  exec?: ExecSessionSummary;
  /** The port-forward session: ports and bytes each way; its payload is never masked or recorded. */
  portForward?: PortForwardSessionSummary;
  /** The per-request approval that released (or refused) a held request. */
  approvalId?: string;
  /** The id the exec session's recording was stored under. */
  recordingId?: string;
}

/** A request an `approve` rule holds, as the approval hold sees it. */
export interface HeldRequest {
  auditId: string;
  info: RequestInfo;
  /** The exec command, for pods/exec. */
  command: string[];
  rule: string;
  message?: string;
  /**
   * The request exactly as it will be forwarded if approved (method, canonical URL, Content-Type,
   * body bytes): what approvers see, and what the approval is bound to by its digest.
   */
  exact: HeldRequestDetail;
  /** Aborted when the client gives up. */
  signal: AbortSignal;
}

/** How a hold ended. */
export type HoldOutcome =
  | { approved: true; approvalId: string }
  | { approved: false; approvalId?: string; reason: string };

/** A recording in progress for one exec session. */
export interface ExecRecording {
  recorder: ExecRecorder;
  /** Whether stdin goes to the recorder (policy decides). */
  recordStdin: boolean;
  /** Ends the recording and stores it; resolves with its id, or undefined when it could not be kept. */
  finish(summary: ExecSessionSummary): Promise<string | undefined>;
}

/** Options of `createPipeline`. */
export interface PipelineOptions {
  upstream: UpstreamConfig;
  principal: Principal;
  /** The cluster name guardrail rules match against. */
  cluster: string;
  /** The current guardrail rules, read per request so policy updates apply at once. */
  rules: () => GuardrailRule[];
  masking: MaskingConfig;
  /**
   * Receives every audit record; a returned promise is awaited before the response completes where
   * it can be. A rejection means the record was not written: the response is withheld (a 503
   * Status before it started, a reset after).
   */
  onAudit: (record: PipelineAuditRecord) => unknown;
  /**
   * Receives the start of long-running requests (watches, followed logs, exec sessions), awaited
   * like `onAudit`: a rejection refuses the stream, or ends it once it is open.
   */
  onResponseStarted?: (record: Omit<PipelineAuditRecord, 'endedAt'>) => unknown;
  /** Holds requests an `approve` rule matched until a person decides; without it they are refused. */
  holdForApproval?: (request: HeldRequest) => Promise<HoldOutcome>;
  /** A refusal while requests cannot be audited (a full or failing trail); undefined admits the request. */
  admit?: () => StatusResponse | undefined | Promise<StatusResponse | undefined>;
  /** Starts a recording for an exec or attach session about to be relayed. */
  record?: (session: { auditId: string; info: RequestInfo; command: string[] }) => ExecRecording | undefined;
  log: (line: string) => void;
  now?: () => Date;
  /** Largest non-list JSON body masked in memory (default 16 MiB); larger ones are refused with 502. */
  maxBufferedBodyBytes?: number;
}
