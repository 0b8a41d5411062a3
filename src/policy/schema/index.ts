/** The policy language: parse, validate and merge policy files. */
export { parsePolicy, type ParsePolicyOptions, type PolicySource } from './parse.js';
export { loadPolicy, PolicyError } from './load.js';
export { formatIssue, type PolicyIssue } from './issues.js';
export type { PolicyEnv } from './env.js';
export { POLICY_API_VERSION } from './document.js';
export { BUILTIN_DETECTORS, defaultMasking } from './masking.js';
export { REQUEST_VERBS } from './rules.js';
