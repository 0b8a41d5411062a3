/**
 * The Kubernetes wire protocol as the broker needs it: pure functions, no I/O.
 */
export * from './canonical.js';
export * from './channels.js';
export * from './classify.js';
export * from './headers.js';
export * from './json-pointer.js';
export * from './layout.js';
export * from './names.js';
export * from './negotiate.js';
export * from './percent.js';
export * from './protobuf.js';
export * from './query.js';
export * from './request-info.js';
export * from './selectors.js';
export * from './status.js';
export * from './stream-end.js';
export * from './watch.js';
