/**
 * Stage 6b on a real node:http server: whatever goes wrong inside a masker, engine limits
 * included, is a masking failure — a 502 Status and `maskFailed` for the audit record — never an
 * exception that escapes as a 500 with no record.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { deliverResponse, type Delivery } from '../../../../src/broker/pipeline/mask.js';
import type { MaskPlan } from '../../../../src/broker/pipeline/mask-plan.js';
import { createMasker, DETECTOR_NAMES, type Masker } from '../../../../src/mask/index.js';
import type { MaskingConfig } from '../../../../src/policy/types.js';

const masking: MaskingConfig = { secrets: true, lastAppliedConfiguration: true, envNamePatterns: [], configMapKeys: [], annotations: [], detectors: [...DETECTOR_NAMES], exemptGroups: [] };

interface Served {
  status: number;
  body: string;
  delivery: Delivery;
}

/** Serves one upstream body through deliverResponse and reads what the client got. */
async function serve(body: string | string[], plan: MaskPlan, masker: Masker = createMasker(masking)): Promise<Served> {
  let delivered!: Promise<Delivery>;
  const server: Server = createServer((_req, res: ServerResponse) => {
    const response = {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Readable.from(typeof body === 'string' ? [Buffer.from(body)] : body.map((b) => Buffer.from(b))),
    } as unknown as Dispatcher.ResponseData;
    delivered = deliverResponse({ res, response, plan, masker, auditId: 'audit-1', maxBufferedBodyBytes: 64 << 20 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    // A stream that fails after its headers is reset: what arrived until then is what the client saw.
    const got = await new Promise<{ status: number; body: string }>((resolve) => {
      let status = 0;
      let text = '';
      const done = () => resolve({ status, body: text });
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', done);
        res.on('error', done);
      }).on('error', done).end();
    });
    return { ...got, delivery: await delivered };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function nested(depth: number, secret: string): string {
  const data = Buffer.from(secret).toString('base64');
  return `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"deep"},"data":{"password":"${data}"},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function leaks(text: string, secret: string): boolean {
  return text.includes(secret) || text.includes(Buffer.from(secret).toString('base64'));
}

describe('a masking failure of any kind is refused and reported as one', () => {
  // Around 4k–9k levels the walk got through and JSON.stringify overflowed; deeper, the walk does.
  test.each([2_000, 4_000, 6_000, 9_000, 20_000, 200_000])('a single object nested %i deep: 502 Status, maskFailed', async (depth) => {
    const { status, body, delivery } = await serve(nested(depth, 'deep-S3cret-value'), { kind: 'object' });
    if (delivery.maskFailed) {
      expect(status).toBe(502);
      expect(JSON.parse(body)).toMatchObject({ kind: 'Status', code: 502, message: expect.stringContaining('could not mask') });
      expect(delivery).toMatchObject({ statusCode: 502, maskFailed: true, error: expect.stringMatching(/^MASK_TOO_DEEP: /) });
    } else {
      // Shallow enough to mask: then it is masked, never passed through.
      expect(status).toBe(200);
    }
    expect(leaks(body, 'deep-S3cret-value')).toBe(false);
  });

  test('the deepest bodies are refused, not served', async () => {
    const { delivery } = await serve(nested(200_000, 'x'), { kind: 'object' });
    expect(delivery.maskFailed).toBe(true);
  });

  test.each([
    ['list', { kind: 'list' } as MaskPlan, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[${nested(200_000, 'list-S3cret')}]}`],
    ['watch', { kind: 'watch' } as MaskPlan, `{"type":"ADDED","object":${nested(200_000, 'watch-S3cret')}}\n`],
  ])('a %s item nested too deeply: the stream is refused as a masking failure', async (_what, plan, body) => {
    const { status, body: out, delivery } = await serve(body, plan);
    expect(delivery).toMatchObject({ maskFailed: true, error: expect.stringMatching(/^MASK_/) });
    expect([0, 502]).toContain(delivery.statusCode);
    if (status === 502) expect(out).toContain('could not mask');
    expect(leaks(out, 'list-S3cret') || leaks(out, 'watch-S3cret')).toBe(false);
  });

  test('an error no rule names (a stub masker that throws: no real body makes the engine throw a TypeError) is MASK_INTERNAL, its message never echoed', async () => {
    const real = createMasker(masking);
    const throwing: Masker = {
      exempt: false,
      detectors: real.detectors,
      isExempt: () => false,
      maskObject: () => {
        throw new TypeError('boom "quoted-body-S3cret"');
      },
    };
    for (const plan of [{ kind: 'object' }, { kind: 'list' }, { kind: 'watch' }] as MaskPlan[]) {
      const body = plan.kind === 'watch' ? '{"type":"ADDED","object":{"kind":"Secret"}}\n' : '{"kind":"SecretList","items":[{"kind":"Secret"}]}';
      const { body: out, delivery } = await serve(body, plan, throwing);
      expect(delivery).toMatchObject({ maskFailed: true, error: 'MASK_INTERNAL: the masker failed (TypeError)' });
      expect(out).not.toContain('quoted-body-S3cret');
    }
  });
});
