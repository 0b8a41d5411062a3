import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BodyTooLargeError, bodyLimit } from '../../../../src/broker/listener/body-limit.js';

describe('bodyLimit', () => {
  it('passes a body up to the limit unchanged', async () => {
    const body = await buffer(Readable.from([Buffer.from('ab'), Buffer.from('cd')]).pipe(bodyLimit(4)));
    expect(body.toString()).toBe('abcd');
  });

  it('fails with a typed error one byte past the limit', async () => {
    const error = await buffer(Readable.from([Buffer.from('ab'), Buffer.from('cde')]).pipe(bodyLimit(4))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(error).toMatchObject({ code: 'KGATE_BODY_TOO_LARGE', limit: 4 });
  });
});
