import { Agent, fetch } from 'undici';
import { CookieJar } from './cookie-jar.js';

/** One HTTP response as a person's browser sees it, redirects not followed. */
export interface PageResponse {
  url: string;
  status: number;
  /** Absolute URL of the `Location` header of a redirect. */
  location?: string;
  body: string;
}

/**
 * A minimal browser: a cookie jar and TLS that trusts the sim CA. Redirects are returned, not
 * followed, so the caller decides where the browser may go (never to the loopback redirect_uri).
 */
export class UserAgent {
  private readonly jar = new CookieJar();
  private readonly dispatcher: Agent;

  constructor(ca: string) {
    this.dispatcher = new Agent({ connect: { ca } });
  }

  get(url: string): Promise<PageResponse> {
    return this.send(url, 'GET');
  }

  /** Posts fields as an HTML form does (`application/x-www-form-urlencoded`). */
  postForm(url: string, fields: URLSearchParams): Promise<PageResponse> {
    return this.send(url, 'POST', fields);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async send(url: string, method: string, form?: URLSearchParams): Promise<PageResponse> {
    const target = new URL(url);
    const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml', 'user-agent': 'kgate-sim-person/1' };
    const cookie = this.jar.headerFor(target);
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method,
      headers,
      body: form?.toString(),
      redirect: 'manual',
      dispatcher: this.dispatcher,
    });
    this.jar.store(target, response.headers.getSetCookie());
    const location = response.headers.get('location');
    return {
      url: target.href,
      status: response.status,
      location: location === null ? undefined : new URL(location, target).href,
      body: await response.text(),
    };
  }
}
