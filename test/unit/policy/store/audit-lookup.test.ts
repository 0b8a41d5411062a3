import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { AuditEventRecord, PolicyStore } from '../../../../src/policy/store/types.js';

function record(id: string, facts: Partial<AuditEventRecord> = {}): AuditEventRecord {
  const time = '2025-01-01T00:00:00Z';
  return { id, time, principal: 'idp#alice', grant: 'g1', cluster: 'sim', verb: 'create', resource: 'pods/exec', namespace: 'prod', decision: 'allow', event: { auditID: id.split('.')[0], stageTimestamp: time }, ...facts };
}

describe('audit events looked up by id', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('finds exactly the ids asked for, each stage its own record', async () => {
    const started = record('e1.ResponseStarted');
    const complete = record('e1');
    await store.ingestAuditEvents([started, complete, record('e2'), record('e1x')]);
    const found = await store.auditEventsByIds(['e1', 'e1.ResponseStarted', 'nope']);
    expect(found.sort((a, b) => a.id.localeCompare(b.id))).toEqual([complete, started]);
    expect(await store.auditEventsByIds([])).toEqual([]);
    expect(await store.auditEventsByIds(["e1' OR '1'='1", '%'])).toEqual([]);
  });
});
