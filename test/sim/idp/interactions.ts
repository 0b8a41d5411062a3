import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { personBySub, personByUsername } from './accounts.js';
import type { Directory, Person } from './accounts.js';
import { FormBodyError, readFormBody } from './form-body.js';
import { consentPage, errorPage, loginPage } from './pages.js';

const ROUTE = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/;

type Step = 'show' | 'login' | 'confirm' | 'abort';

/** Whether a path belongs to the interaction pages rather than to oidc-provider. */
export function isInteractionPath(path: string): boolean {
  return ROUTE.test(path);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

function passwordMatches(person: Person, password: string): boolean {
  const expected = Buffer.from(person.password);
  const given = Buffer.from(password);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Serves the login and consent pages oidc-provider sends End-Users to (`/interaction/<uid>`),
 * for the authorization code flow and the device flow alike.
 */
export function createInteractionHandler(
  provider: Provider,
  directory: Directory,
  log: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  async function clientName(interaction: Interaction): Promise<string> {
    const clientId = String(interaction.params.client_id);
    const client = await provider.Client.find(clientId);
    return client?.clientName ?? clientId;
  }

  async function show(res: ServerResponse, interaction: Interaction): Promise<void> {
    const name = await clientName(interaction);
    if (interaction.prompt.name === 'login') {
      sendHtml(res, 200, loginPage({ uid: interaction.uid, clientName: name }));
      return;
    }
    const person = personBySub(directory, interaction.session?.accountId ?? '');
    const scopes = String(interaction.params.scope ?? '').split(' ').filter(Boolean);
    sendHtml(res, 200, consentPage({ uid: interaction.uid, clientName: name, username: person?.username ?? '', scopes }));
  }

  async function login(req: IncomingMessage, res: ServerResponse, interaction: Interaction): Promise<void> {
    const form = await readFormBody(req);
    const username = form.get('username') ?? '';
    const person = personByUsername(directory, username);
    if (!person || !passwordMatches(person, form.get('password') ?? '')) {
      log(`idp: login refused for ${JSON.stringify(username)}`);
      sendHtml(res, 401, loginPage({
        uid: interaction.uid,
        clientName: await clientName(interaction),
        username,
        error: 'Invalid username or password.',
      }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: person.sub } }, { mergeWithLastSubmission: false });
  }

  async function confirm(req: IncomingMessage, res: ServerResponse, interaction: Interaction): Promise<void> {
    await readFormBody(req);
    const accountId = interaction.session?.accountId;
    if (!accountId) {
      sendHtml(res, 400, errorPage('Sign-in failed', { error: 'invalid_request', error_description: 'nobody is signed in' }));
      return;
    }
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = existing ? {} : { grantId };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }

  async function abort(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await readFormBody(req);
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, step: Step, interaction: Interaction): Promise<void> {
    const expectedMethod = step === 'show' ? 'GET' : 'POST';
    if (req.method !== expectedMethod && !(step === 'show' && req.method === 'HEAD')) {
      res.setHeader('allow', expectedMethod);
      sendHtml(res, 405, errorPage('Method not allowed', { error: 'invalid_request' }));
      return;
    }
    const expectedPrompt = { login: 'login', confirm: 'consent' }[step as string];
    if (expectedPrompt && interaction.prompt.name !== expectedPrompt) {
      sendHtml(res, 400, errorPage('Sign-in failed', {
        error: 'invalid_request',
        error_description: `this sign-in step expects ${interaction.prompt.name}, not ${step}`,
      }));
      return;
    }
    if (step === 'show') return show(res, interaction);
    if (step === 'login') return login(req, res, interaction);
    if (step === 'confirm') return confirm(req, res, interaction);
    return abort(req, res);
  }

  return async (req, res) => {
    const match = ROUTE.exec(new URL(req.url ?? '/', 'https://idp.invalid').pathname);
    if (!match) {
      sendHtml(res, 404, errorPage('Not found', { error: 'not_found' }));
      return;
    }
    const [, uid, step = 'show'] = match as unknown as [string, string, Step | undefined];
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (error) {
      const e = error as Error & { error_description?: string };
      log(`idp: interaction ${uid} refused: ${e.error_description ?? e.message}`);
      sendHtml(res, 400, errorPage('Sign-in failed', {
        error: 'invalid_request',
        error_description: 'this sign-in session is unknown or expired; start again from your application',
      }));
      return;
    }
    if (interaction.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in failed', { error: 'invalid_request', error_description: 'sign-in session mismatch' }));
      return;
    }
    try {
      await dispatch(req, res, step, interaction);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      sendHtml(res, error.status, errorPage('Sign-in failed', { error: 'invalid_request', error_description: error.message }));
    }
  };
}
