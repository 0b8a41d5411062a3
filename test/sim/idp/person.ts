import { alertText, pageText, parseForms } from './html-forms.js';
import type { HtmlForm } from './html-forms.js';
import { UserAgent } from './user-agent.js';
import type { PageResponse } from './user-agent.js';

/** What the person does when asked to consent (or to confirm a device). */
export type Decision = 'allow' | 'deny';

/** Who signs in, and how they decide. */
export interface PersonOptions {
  username: string;
  password: string;
  /** PEM of the CA the IdP's certificate chains to. */
  ca: string;
  /** Default `allow`. `deny` presses Deny on the consent page or Abort on the device confirmation. */
  decision?: Decision;
}

/** The IdP showed the person a refusal (wrong password, unknown user code, ...). */
export class SignInRefusedError extends Error {
  override readonly name = 'SignInRefusedError';
  constructor(readonly status: number, readonly reason: string) {
    super(`the IdP refused the sign-in (${status}): ${reason}`);
  }
}

/** The IdP showed an error page, or the pages led nowhere. */
export class SignInFailedError extends Error {
  override readonly name = 'SignInFailedError';
  constructor(readonly status: number, readonly page: string) {
    super(`sign-in failed (${status}): ${page.slice(0, 300)}`);
  }
}

const MAX_STEPS = 20;

interface Submission {
  action: string;
  fields: URLSearchParams;
  aborts: boolean;
}

function isAbort(form: HtmlForm): boolean {
  return new URL(form.action).pathname.endsWith('/abort');
}

function fill(form: HtmlForm, values: Record<string, string>, extra?: { name?: string; value: string }): URLSearchParams {
  const fields = new URLSearchParams();
  for (const input of form.inputs) fields.append(input.name, values[input.name] ?? input.value);
  if (extra?.name) fields.append(extra.name, extra.value);
  return fields;
}

/** Picks the form and button a person would use on this page. */
function choose(forms: HtmlForm[], values: Record<string, string>, decision: Decision): Submission | undefined {
  const asksForPassword = forms.some((f) => f.inputs.some((i) => i.type === 'password'));
  if (decision === 'deny' && !asksForPassword) {
    const abortForm = forms.find(isAbort);
    if (abortForm) return { action: abortForm.action, fields: fill(abortForm, values), aborts: true };
    for (const form of forms) {
      const abortButton = form.buttons.find((b) => b.name === 'abort');
      if (abortButton) return { action: form.action, fields: fill(form, values, abortButton), aborts: true };
    }
  }
  const form = forms.find((f) => f.method === 'post' && !isAbort(f));
  if (!form) return undefined;
  const button = form.buttons.find((b) => b.name !== 'abort');
  return { action: form.action, fields: fill(form, values, button), aborts: false };
}

type Outcome = { kind: 'redirect'; location: string } | { kind: 'page'; page: PageResponse };

/**
 * Walks the IdP's pages like a person: follows redirects within the IdP, fills and submits the
 * form each page shows, and stops at a redirect leaving the IdP or at a page with no form.
 */
async function walk(ua: UserAgent, startUrl: string, values: Record<string, string>, decision: Decision): Promise<Outcome> {
  const idpOrigin = new URL(startUrl).origin;
  let response = await ua.get(startUrl);
  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (response.status >= 300 && response.status < 400 && response.location) {
      if (new URL(response.location).origin !== idpOrigin) return { kind: 'redirect', location: response.location };
      response = await ua.get(response.location);
      continue;
    }
    const alert = alertText(response.body);
    if (alert) throw new SignInRefusedError(response.status, alert);
    if (response.status >= 400) throw new SignInFailedError(response.status, pageText(response.body));
    const submission = choose(parseForms(response.body, response.url), values, decision);
    if (!submission) return { kind: 'page', page: response };
    response = await ua.postForm(submission.action, submission.fields);
    const redirected = response.status >= 300 && response.status < 400;
    if (submission.aborts && !redirected) return { kind: 'page', page: response };
  }
  throw new SignInFailedError(response.status, `no end after ${MAX_STEPS} pages; last: ${pageText(response.body)}`);
}

/**
 * Completes an authorization request in the IdP's real pages (login, consent) and returns the
 * final redirect to the client's redirect_uri, without fetching it. With `decision: 'deny'` that
 * redirect carries `error=access_denied`. A wrong password rejects with {@link SignInRefusedError}.
 */
export async function authorize(opts: PersonOptions & { authorizationUrl: string }): Promise<string> {
  const ua = new UserAgent(opts.ca);
  try {
    const outcome = await walk(ua, opts.authorizationUrl, { username: opts.username, password: opts.password }, opts.decision ?? 'allow');
    if (outcome.kind === 'redirect') return outcome.location;
    throw new SignInFailedError(outcome.page.status, `stopped at a page without redirect: ${pageText(outcome.page.body)}`);
  } finally {
    await ua.close();
  }
}

/**
 * Approves (or, with `decision: 'deny'`, aborts) a device authorization at the IdP's
 * verification page: enters `userCode` (omit it when `verificationUri` is the
 * `verification_uri_complete`), confirms, signs in and consents. Resolves once the IdP says so;
 * a wrong password or user code rejects with {@link SignInRefusedError}.
 */
export async function approveDevice(opts: PersonOptions & { verificationUri: string; userCode?: string }): Promise<void> {
  const ua = new UserAgent(opts.ca);
  const values: Record<string, string> = { username: opts.username, password: opts.password };
  if (opts.userCode !== undefined) values.user_code = opts.userCode;
  try {
    const outcome = await walk(ua, opts.verificationUri, values, opts.decision ?? 'allow');
    if (outcome.kind === 'redirect') {
      throw new SignInFailedError(302, `the device flow left the IdP for ${new URL(outcome.location).origin}`);
    }
  } finally {
    await ua.close();
  }
}
