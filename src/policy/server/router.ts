import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, notFound } from './errors.js';

/** What a route handler gets: the request, its response, path parameters and the query. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the client goes away (ends long-polls early). */
  signal: AbortSignal;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void>;

interface Route {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/**
 * Method + path routing with `:name` parameters. An unknown path is a 404, a known path with
 * another method a 405 listing what it allows.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: RouteHandler): this {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the handler for `method` and `pathname`; throws 404/405 as an {@link ApiError}. */
  match(method: string, pathname: string): { handler: RouteHandler; params: Record<string, string> } {
    const parts = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params };
      allowed.push(route.method);
    }
    if (allowed.length) throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${pathname}; use ${allowed.join(', ')}`, { allow: allowed.join(', ') });
    throw notFound(`No such endpoint: ${method} ${pathname}`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const p = pattern[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (p.startsWith(':')) params[p.slice(1)] = part;
    else if (p !== part) return undefined;
  }
  return params;
}
