/**
 * The broker's HTTP request pipeline: canonicalize, classify, decide, rewrite, forward, mask,
 * respond; exec and attach go to the relay, access reviews are answered by the guardrails.
 */
export { createPipeline } from './pipeline.js';
export type { Pipeline } from './pipeline.js';
export type { PipelineOptions, PipelineAuditRecord, PipelineOutcome, UpstreamConfig, UpstreamToken } from './types.js';
