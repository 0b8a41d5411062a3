import { randomBytes } from 'node:crypto';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import { T0 } from './fixtures.js';

const cast = Buffer.from('{"version":2,"width":80,"height":24}\n[0.1,"o","$ "]\n[0.5,"i","ls\\r"]\n');
const meta = { grant: 'g1', principal: 'https://idp.test#sub-alice', cluster: 'sim', contentType: 'application/x-asciicast' };

describe('exec recordings in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:', { now: () => T0, maxRecordingBytes: 1024 });
  });
  afterEach(async () => {
    await store.close();
  });

  test('a recording reads back byte for byte with its metadata', async () => {
    const stored = await store.putRecording('r1', meta, cast);
    expect(stored).toEqual({ id: 'r1', ...meta, size: cast.byteLength, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: T0 });
    const back = (await store.getRecording('r1'))!;
    expect(Buffer.isBuffer(back.data)).toBe(true);
    expect(back.data.equals(cast)).toBe(true);
    expect(back.meta).toEqual(stored);
    expect(await store.getRecording('nope')).toBeUndefined();
  });

  test('binary data survives, and metadata fields are optional', async () => {
    const bytes = randomBytes(1000);
    await store.putRecording('r2', { contentType: 'application/octet-stream' }, bytes);
    const back = (await store.getRecording('r2'))!;
    expect(back.data.equals(bytes)).toBe(true);
    expect(back.meta).not.toHaveProperty('grant');
  });

  test('recordings over the size limit are refused', async () => {
    await expect(store.putRecording('big', meta, Buffer.alloc(1025))).rejects.toMatchObject({ code: 'KGATE_STORE_TOO_LARGE' });
    expect(await store.getRecording('big')).toBeUndefined();
    await expect(store.putRecording('edge', meta, Buffer.alloc(1024))).resolves.toMatchObject({ size: 1024 });
  });

  test('re-uploading the same recording is a no-op; different content under its id is a conflict', async () => {
    const first = await store.putRecording('r1', meta, cast);
    expect(await store.putRecording('r1', meta, Buffer.from(cast))).toEqual(first);
    await expect(store.putRecording('r1', meta, Buffer.from('other'))).rejects.toMatchObject({ code: 'KGATE_STORE_CONFLICT' });
    await expect(store.putRecording('r1', { ...meta, grant: 'g2' }, cast)).rejects.toMatchObject({ code: 'KGATE_STORE_CONFLICT' });
    expect((await store.getRecording('r1'))!.data.equals(cast)).toBe(true);
  });
});
