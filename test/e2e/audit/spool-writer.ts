/**
 * A broker stand-in for the kill -9 test: appends chained audit events to the spool at argv[2]
 * as fast as it can, ten in flight at a time, and prints each auditID once its append resolved
 * (the moment a broker would complete the response). It runs until it is killed.
 */
import { randomUUID } from 'node:crypto';
import { createAuditChain } from '../../../src/audit/chain.js';
import { buildAuditEvent } from '../../../src/audit/event.js';
import { openSpool } from '../../../src/audit/spool.js';

const [path, session, principal] = process.argv.slice(2) as [string, string, string];
const spool = openSpool(path, { maxBytes: 1 << 30, maxEvents: 1_000_000 });
const chain = createAuditChain(session);

function next() {
  const now = Date.now();
  return chain.seal(buildAuditEvent({
    auditID: randomUUID(), stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/staging/pods', verb: 'list',
    user: { username: 'kgate:ci-deployer' }, objectRef: { resource: 'pods', namespace: 'staging', apiVersion: 'v1' },
    responseStatus: { code: 200 }, requestReceivedAt: now, stageAt: now,
    kgate: { principal, principalType: 'workload', issuer: principal.split('#')[0]!, decision: 'allow', grant: session, cluster: 'kgate-sim-broker' },
  }));
}

for (;;) {
  await Promise.all(Array.from({ length: 10 }, () => {
    const event = next();
    return spool.append(event).then(() => process.stdout.write(`${event.auditID}\n`));
  }));
}
