import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRouter } from '../../../../src/broker/daemon/router.js';
import type { RequestContext } from '../../../../src/broker/listener/server.js';
import type { ClusterSession } from '../../../../src/broker/runtime/cluster-session.js';

function harness() {
  const seen: string[] = [];
  const session = { pipeline: { handle: async (req: IncomingMessage) => void seen.push(req.url ?? '') } } as unknown as ClusterSession;
  const router = createRouter((token) => (token === 'prod-token' ? { cluster: 'prod', session } : undefined), () => undefined);
  const call = async (url: string, token = 'prod-token') => {
    const written: { code?: number; body?: string } = {};
    const res = {
      headersSent: false,
      writeHead(code: number) {
        written.code = code;
        return this;
      },
      end(body: string) {
        written.body = body;
      },
      destroy() {},
    } as unknown as ServerResponse;
    await router.handle({ url } as IncomingMessage, res, { token } as RequestContext);
    return written;
  };
  return { seen, call };
}

describe('createRouter', () => {
  it('hands the rest of the path to the session the token belongs to', async () => {
    const { seen, call } = harness();
    await call('/clusters/prod/api/v1/pods?limit=1');
    await call('/clusters/prod');
    await call('/clusters/prod?timeout=32s');
    expect(seen).toEqual(['/api/v1/pods?limit=1', '/', '/?timeout=32s']);
  });

  it('refuses another cluster\'s prefix, look-alike prefixes and unknown tokens, forwarding nothing', async () => {
    const { seen, call } = harness();
    expect((await call('/clusters/staging/api/v1/pods')).code).toBe(404);
    expect((await call('/clusters/prod-2/api/v1/pods')).code).toBe(404);
    expect((await call('/clusters/prod%2f../api')).code).toBe(404);
    expect((await call('/api/v1/pods')).code).toBe(404);
    const ended = await call('/clusters/prod/api/v1/pods', 'stale-token');
    expect(ended.code).toBe(401);
    expect(ended.body).toContain('this kgate session has ended');
    expect(seen).toEqual([]);
  });
});
