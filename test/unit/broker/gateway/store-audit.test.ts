/**
 * The gateway's audit writer over a real (in-memory) policy store: one writer per store, so a
 * failure one session meets refuses every session's requests until a probe write works; an event
 * the store keeps as a conflict counts as not written.
 */
import { buildAuditEvent } from '../../../../src/audit/event.js';
import { storeAuditSpool } from '../../../../src/broker/gateway/store-audit.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';

const event = (verb: string) => buildAuditEvent({
  auditID: 'a-1', stage: 'ResponseComplete', requestURI: '/api/v1/pods', verb, user: { username: 'u' },
  requestReceivedAt: Date.UTC(2026, 0, 1), stageAt: Date.UTC(2026, 0, 1),
  kgate: { principal: 'idp#u', principalType: 'human', issuer: 'idp', decision: 'allow' },
});

test('writes under the gateway\'s ids, shares its failure per store, and clears it with a probe write', async () => {
  const store = openSqliteStore(':memory:');
  const writer = storeAuditSpool(store);
  expect(storeAuditSpool(store)).toBe(writer);
  const other = openSqliteStore(':memory:');
  expect(storeAuditSpool(other)).not.toBe(writer);
  await other.close();

  await writer.append(event('list'));
  expect((await store.queryAuditEvents()).items.map((e) => e.id)).toEqual(['gw.a-1']);
  await writer.append(event('list'));
  expect(writer.failure()).toBeUndefined();

  await expect(writer.append(event('delete'))).rejects.toThrow('the store holds another event under gw.a-1');
  expect(writer.failure()?.message).toBe('the store holds another event under gw.a-1');
  await writer.probe();
  expect(writer.failure()).toBeUndefined();

  await store.close();
  await expect(writer.append(event('get'))).rejects.toMatchObject({ code: 'KGATE_STORE_CLOSED' });
  expect(storeAuditSpool(store).failure()).toMatchObject({ code: 'KGATE_STORE_CLOSED' });
  await expect(writer.probe()).rejects.toMatchObject({ code: 'KGATE_STORE_CLOSED' });
});
