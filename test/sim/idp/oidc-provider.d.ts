// oidc-provider v9 ships no type declarations; this covers only the surface the sim uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The registered client as oidc-provider exposes it on a request. */
  export interface ProviderClient {
    clientId: string;
    clientName?: string;
    clientAuthMethod: string;
  }

  /** A token as handed to `extraTokenClaims` and the allowed-policy hooks. */
  export interface ProviderToken {
    kind: string;
    clientId?: string;
    accountId?: string;
  }

  /** The OIDC part of oidc-provider's Koa context. */
  export interface OIDCContext {
    route?: string;
    params?: Record<string, unknown>;
    client?: ProviderClient;
  }

  /** oidc-provider's Koa context, reduced to what the sim reads and writes. */
  export interface KoaContextWithOIDC {
    oidc: OIDCContext;
    path: string;
    method: string;
    status: number;
    type: string;
    body: unknown;
  }

  /** What `interactionDetails` returns. */
  export interface Interaction {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
  }

  /** A stored grant: what the End-User consented to for one client. */
  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }

  /** An account as returned by `findAccount`. */
  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  /** The storage contract oidc-provider drives for every model. */
  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  /** A stored model's payload; the sim only looks at the index fields. */
  export interface AdapterPayload {
    grantId?: string;
    uid?: string;
    userCode?: string;
    consumed?: number;
    [key: string]: unknown;
  }

  /** Provider configuration; kept loose because the sim builds it in one place. */
  export type Configuration = Record<string, unknown>;

  type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  /** The OpenID Provider (a Koa application). */
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    readonly Grant: {
      new (properties: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    readonly Client: { find(id: string): Promise<ProviderClient | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (ctx: KoaContextWithOIDC, error?: Error) => void): this;
    use(middleware: Middleware): this;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
  };
}
