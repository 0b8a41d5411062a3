import { PassThrough } from 'node:stream';
import { rawStatusResponse, writeRawStatus } from '../../../../src/broker/raw-response.js';
import { unauthorized, statusResponse } from '../../../../src/kube/status.js';

describe('rawStatusResponse', () => {
  it('is a complete HTTP/1.1 response with the Status body that closes the connection', () => {
    const status = unauthorized();
    const text = rawStatusResponse(status).toString('latin1');
    const [head, body] = text.split('\r\n\r\n');
    expect(head!.split('\r\n')).toEqual([
      'HTTP/1.1 401 Unauthorized',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(status.body)}`,
      'Cache-Control: no-cache, private',
      'Connection: close',
    ]);
    expect(JSON.parse(body!)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  it('drops headers that could split the response and ones it sets itself', () => {
    const status = statusResponse(421, '', 'no', undefined, { 'X-Evil': 'a\r\nSet-Cookie: x=1', 'Content-Length': '1', Connection: 'keep-alive' });
    const head = rawStatusResponse(status).toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^HTTP\/1\.1 421 Misdirected Request\r\n/);
    expect(head).not.toMatch(/X-Evil|Set-Cookie|keep-alive|Content-Length: 1\r/);
  });
});

describe('writeRawStatus', () => {
  it('writes the response and ends the socket', async () => {
    const socket = new PassThrough();
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => socket.on('end', r));
    writeRawStatus(socket, unauthorized());
    await ended;
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('only destroys a socket that can no longer be written', () => {
    const socket = new PassThrough();
    socket.end();
    socket.resume();
    writeRawStatus(socket, unauthorized());
    expect(socket.destroyed).toBe(true);
  });
});
