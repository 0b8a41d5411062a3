/** A HandlerContext with a recording response, for calling auth handlers without a server. */
import type { ServerResponse } from 'node:http';
import type { HandlerContext, KubeObject, ObjectStore, RequestInfo, UserInfo } from '../../../../sim/kube/types.js';

export interface Recorded {
  code: number;
  body: Record<string, unknown>;
}

export function fakeContext(opts: { store: ObjectStore; user: UserInfo; body: unknown; info?: Partial<RequestInfo> }): { ctx: HandlerContext; recorded: () => Recorded } {
  let code = 0;
  let text = '';
  const res = {
    headersSent: false,
    writeHead(c: number) {
      code = c;
      this.headersSent = true;
      return this;
    },
    end(t?: string) {
      text = t ?? '';
    },
  };
  const info: RequestInfo = {
    isResourceRequest: true,
    path: '/',
    verb: 'create',
    apiPrefix: 'apis',
    apiGroup: '',
    apiVersion: 'v1',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
    ...opts.info,
  };
  const ctx = {
    req: {} as HandlerContext['req'],
    res: res as unknown as ServerResponse,
    info,
    user: opts.user,
    query: new URLSearchParams(),
    body: opts.body as KubeObject | undefined,
    store: opts.store,
  };
  return { ctx, recorded: () => ({ code, body: JSON.parse(text) as Record<string, unknown> }) };
}
