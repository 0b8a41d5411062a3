/**
 * The review APIs of the sim apiserver: SelfSubjectAccessReview, SelfSubjectRulesReview,
 * SelfSubjectReview and TokenReview (kubernetes pkg/registry/authorization/* and
 * pkg/registry/authentication/*), plus the TokenRequest subresource, keyed for the REST core.
 * The core has authenticated the caller and authorized the `create` already.
 */
import type { Attributes, Authenticator, Authorizer, HandlerContext, UserInfo } from '../types.js';
import type { AudienceAuthenticator } from './authenticators.js';
import { answeringErrors, badRequest, invalidField, requireBody, writeJson } from './respond.js';
import type { ServiceAccountTokens } from './service-account-tokens.js';

/** What the review handlers need. */
export interface ReviewDeps {
  authorizer: Authorizer;
  /** The whole authentication chain, for TokenReview. */
  authenticator: Authenticator | AudienceAuthenticator;
  /** Issuer of service-account tokens, for the TokenRequest subresource. */
  serviceAccountTokens?: ServiceAccountTokens;
  log?: (line: string) => void;
}

type Handler = (ctx: HandlerContext) => Promise<void>;

interface ResourceAttributesSpec {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function echo(ctx: HandlerContext, kind: string, body: Record<string, unknown>, status: Record<string, unknown>): Record<string, unknown> {
  const group = kind === 'SelfSubjectReview' || kind === 'TokenReview' ? 'authentication.k8s.io' : 'authorization.k8s.io';
  return {
    kind,
    apiVersion: `${group}/${ctx.info.apiVersion || 'v1'}`,
    metadata: { ...((body.metadata as object | undefined) ?? {}) },
    ...(body.spec !== undefined ? { spec: body.spec } : {}),
    status,
  };
}

/** SSAR attributes like pkg/registry/authorization/util `ResourceAttributesFrom` / `NonResourceAttributesFrom`. */
export function accessReviewAttributes(user: UserInfo, spec: { resourceAttributes?: ResourceAttributesSpec; nonResourceAttributes?: { path?: string; verb?: string } }): Attributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    return {
      user,
      verb: ra.verb ?? '',
      resourceRequest: true,
      apiGroup: ra.group ?? '',
      apiVersion: ra.version || '*',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      namespace: ra.namespace ?? '',
      name: ra.name ?? '',
      path: '',
    };
  }
  const nra = spec.nonResourceAttributes ?? {};
  return { user, verb: nra.verb ?? '', resourceRequest: false, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path: nra.path ?? '' };
}

function selfSubjectAccessReview(deps: ReviewDeps): Handler {
  return async (ctx) => {
    const body = requireBody(ctx, 'SelfSubjectAccessReview');
    const spec = (body.spec ?? {}) as { resourceAttributes?: ResourceAttributesSpec; nonResourceAttributes?: { path?: string; verb?: string } };
    if (spec.resourceAttributes && spec.nonResourceAttributes) {
      throw invalidField('SelfSubjectAccessReview', 'authorization.k8s.io', '', 'spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes');
    }
    if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
      throw invalidField('SelfSubjectAccessReview', 'authorization.k8s.io', '', 'spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
    }
    const decision = deps.authorizer.authorize(accessReviewAttributes(ctx.user, spec));
    writeJson(ctx.res, 201, echo(ctx, 'SelfSubjectAccessReview', body, { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) }));
  };
}

function selfSubjectRulesReview(deps: ReviewDeps): Handler {
  return async (ctx) => {
    const body = requireBody(ctx, 'SelfSubjectRulesReview');
    const namespace = ((body.spec ?? {}) as { namespace?: string }).namespace ?? '';
    if (!namespace) throw badRequest('no namespace on request');
    const rules = deps.authorizer.rulesFor(ctx.user, namespace) as ReturnType<Authorizer['rulesFor']> & { evaluationError?: string };
    writeJson(ctx.res, 201, echo(ctx, 'SelfSubjectRulesReview', body, {
      resourceRules: rules.resourceRules,
      nonResourceRules: rules.nonResourceRules,
      incomplete: rules.incomplete,
      ...(rules.evaluationError ? { evaluationError: rules.evaluationError } : {}),
    }));
  };
}

function selfSubjectReview(): Handler {
  return async (ctx) => {
    const body = requireBody(ctx, 'SelfSubjectReview');
    const { username, uid, groups, extra } = ctx.user;
    const userInfo = { username, ...(uid ? { uid } : {}), groups, ...(extra && Object.keys(extra).length ? { extra } : {}) };
    writeJson(ctx.res, 201, echo(ctx, 'SelfSubjectReview', { metadata: body.metadata }, { userInfo }));
  };
}

function tokenReview(deps: ReviewDeps): Handler {
  return async (ctx) => {
    const body = requireBody(ctx, 'TokenReview');
    const spec = (body.spec ?? {}) as { token?: string; audiences?: string[] };
    if (!spec.token) throw badRequest('token is required for TokenReview in authentication.k8s.io');
    const audiences = spec.audiences ?? [];
    const authenticator = deps.authenticator;
    let result: { user: UserInfo; audiences: string[] } | null;
    if ('authenticateFor' in authenticator) {
      result = await authenticator.authenticateFor(spec.token, audiences);
    } else {
      const user = await authenticator.authenticate(spec.token);
      result = user ? { user, audiences } : null;
    }
    const status = result ? { authenticated: true, user: result.user, ...(result.audiences.length ? { audiences: result.audiences } : {}) } : { user: {} };
    writeJson(ctx.res, 201, echo(ctx, 'TokenReview', { metadata: body.metadata, spec: { ...spec, token: spec.token } }, status));
  };
}

/**
 * The handlers the REST core dispatches to, keyed `group/resource[/subresource]`:
 * `authorization.k8s.io/selfsubjectaccessreviews`, `authorization.k8s.io/selfsubjectrulesreviews`,
 * `authentication.k8s.io/selfsubjectreviews`, `authentication.k8s.io/tokenreviews` and (with
 * serviceAccountTokens) `/serviceaccounts/token`. Each writes 201 JSON or a Status; none throws.
 */
export function reviewHandlers(deps: ReviewDeps): Record<string, Handler> {
  const log = deps.log ?? (() => {});
  const handlers: Record<string, Handler> = {
    'authorization.k8s.io/selfsubjectaccessreviews': answeringErrors(selfSubjectAccessReview(deps), log),
    'authorization.k8s.io/selfsubjectrulesreviews': answeringErrors(selfSubjectRulesReview(deps), log),
    'authentication.k8s.io/selfsubjectreviews': answeringErrors(selfSubjectReview(), log),
    'authentication.k8s.io/tokenreviews': answeringErrors(tokenReview(deps), log),
  };
  if (deps.serviceAccountTokens) handlers['/serviceaccounts/token'] = deps.serviceAccountTokens.handleTokenRequest;
  return handlers;
}
