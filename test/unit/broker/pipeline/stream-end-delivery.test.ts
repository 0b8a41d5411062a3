/**
 * Stage 6b ending a watch or followed log that kgate stops (its grant ended), on a real node:http
 * server and client: the apiserver's body stops being read, what the masker still holds goes out
 * masked (or not at all), then the farewell in the stream's own framing, and the response ends
 * cleanly, with the audit hook told why before the last byte.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { deliverResponse, type Delivery } from '../../../../src/broker/pipeline/mask.js';
import type { MaskPlan } from '../../../../src/broker/pipeline/mask-plan.js';
import { createMasker, DETECTOR_NAMES } from '../../../../src/mask/index.js';
import type { MaskingConfig } from '../../../../src/policy/types.js';

const masking: MaskingConfig = { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [...DETECTOR_NAMES], exemptGroups: [] };
const WHY = 'grant g-1 expired';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

interface Stopped {
  body: string;
  /** The response ended normally (not reset). */
  complete: boolean;
  delivery: Delivery;
  /** What the audit hook was told before the last byte. */
  audited?: Delivery;
  upstreamDestroyed: boolean;
}

/** Streams `chunks` from a never-ending upstream body, waits until the client read `seen`, then ends the stream as kgate does. */
async function stopAfter(plan: MaskPlan, contentType: string, chunks: string[], seen: RegExp): Promise<Stopped> {
  const upstream = new PassThrough();
  const ending = new AbortController();
  let delivered!: Promise<Delivery>;
  let audited: Delivery | undefined;
  const server: Server = createServer((_req, res: ServerResponse) => {
    const response = { statusCode: 200, headers: { 'content-type': contentType }, body: upstream } as unknown as Dispatcher.ResponseData;
    delivered = deliverResponse({
      res, response, plan, masker: createMasker(masking), auditId: 'audit-1', maxBufferedBodyBytes: 1 << 20,
      beforeEnd: async (d) => {
        audited = d;
        return undefined;
      },
      ending: ending.signal,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const got = await new Promise<{ body: string; complete: boolean }>((resolve) => {
      let text = '';
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          if (seen.test(text) && !ending.signal.aborted) ending.abort(WHY);
        });
        res.on('end', () => resolve({ body: text, complete: true }));
        res.on('error', () => resolve({ body: text, complete: false }));
      }).on('error', () => resolve({ body: text, complete: false })).end();
      for (const chunk of chunks) upstream.write(chunk);
    });
    return { ...got, delivery: await delivered, ...(audited ? { audited } : {}), upstreamDestroyed: upstream.destroyed };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const event = (type: string, name: string, data?: Record<string, string>) =>
  `${JSON.stringify({ type, object: { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: 'staging' }, ...(data ? { data } : {}) } })}\n`;

test('a watch gets its events, masked, then a final ERROR event saying why, and ends cleanly', async () => {
  const secret = Buffer.from('watch-S3cret-value').toString('base64');
  // The third event is cut off mid-way by the stop: it cannot be masked whole, so none of it is sent.
  const stopped = await stopAfter({ kind: 'watch' }, 'application/json', [event('ADDED', 'one', { password: secret }), event('ADDED', 'two'), '{"type":"MODIFIED","object":{"kind":"Sec'], /"two"/);
  expect(stopped.complete).toBe(true);
  const lines = stopped.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata?: { name: string }; message?: string } });
  expect(lines.map((l) => l.type)).toEqual(['ADDED', 'ADDED', 'ERROR']);
  expect(lines[2]!.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', message: `kgate: ${WHY}; stream closed` });
  expect(stopped.body).not.toContain(secret);
  expect(stopped.body).not.toContain('MODIFIED');
  expect(stopped.delivery).toMatchObject({ statusCode: 200, error: `ended by kgate: ${WHY}`, maskFailed: false });
  expect(stopped.audited).toEqual(stopped.delivery);
  expect(stopped.upstreamDestroyed).toBe(true);
});

test('a followed log gets its lines, the held-back tail masked, then a kgate: line of its own', async () => {
  const stopped = await stopAfter({ kind: 'text' }, 'text/plain', ['staging web: seq=1\n', `staging web: seq=2 key=${AWS_KEY}`], /seq=1/);
  expect(stopped.complete).toBe(true);
  expect(stopped.body).toMatch(/^staging web: seq=1\n/);
  expect(stopped.body).not.toContain(AWS_KEY);
  expect(stopped.body.endsWith(`\nkgate: ${WHY}; stream closed\n`)).toBe(true);
  // The partial last log line was not glued to the farewell.
  expect(stopped.body.split('\n').filter((l) => l.startsWith('kgate:'))).toEqual([`kgate: ${WHY}; stream closed`]);
  expect(stopped.delivery).toMatchObject({ statusCode: 200, error: `ended by kgate: ${WHY}` });
  expect(stopped.upstreamDestroyed).toBe(true);
});
