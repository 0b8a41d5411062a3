/**
 * Contracts between the parts of the simulated kube-apiserver. The REST core (server.ts,
 * store.ts, …) owns routing and storage; authentication, authorization and the review APIs
 * (auth/*.ts), protobuf decoding (protobuf.ts) and the pod runtime (pods/*.ts) plug in here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** authentication.k8s.io/v1 UserInfo. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The apiserver's RequestInfo (apiserver pkg/endpoints/request/requestinfo.go), from the decoded path. */
export interface RequestInfo {
  isResourceRequest: boolean;
  /** Decoded path as Go's URL.Path would have it. */
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
}

/** authorizer.Attributes */
export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** For non-resource requests. */
  path: string;
}

export interface Decision {
  allowed: boolean;
  /** Why, for SSAR status.reason and the Forbidden message suffix. */
  reason: string;
}

export interface ResourceRule { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames?: string[] }
export interface NonResourceRule { verbs: string[]; nonResourceURLs: string[] }

/** Verifies a bearer token. `null` means "not mine / invalid" (→ 401 Unauthorized). */
export interface Authenticator {
  authenticate(token: string): Promise<UserInfo | null>;
}

export interface Authorizer {
  authorize(attributes: Attributes): Decision;
  /** For SelfSubjectRulesReview. */
  rulesFor(user: UserInfo, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean };
}

/** A stored Kubernetes object as JSON (always with kind, apiVersion and metadata). */
export type KubeObject = { apiVersion: string; kind: string; metadata: ObjectMeta; [key: string]: unknown };
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent { type: WatchEventType; object: KubeObject; resourceVersion: number }

/** Identifies a stored resource type: group ('' for core) + plural resource name. */
export interface ResourceKey { group: string; resource: string }

/** The object store the REST core keeps; other parts read and write through it. */
export interface ObjectStore {
  get(key: ResourceKey, namespace: string, name: string): KubeObject | undefined;
  list(key: ResourceKey, namespace: string): { items: KubeObject[]; resourceVersion: string };
  /** Assigns uid, resourceVersion, creationTimestamp; throws a StatusError (409) if it exists. */
  create(key: ResourceKey, object: KubeObject): KubeObject;
  /** Replaces; throws StatusError 404 / 409 on resourceVersion conflict. */
  update(key: ResourceKey, object: KubeObject): KubeObject;
  /** Removes and returns the object; throws StatusError 404. */
  delete(key: ResourceKey, namespace: string, name: string): KubeObject;
  /** Subscribes to changes after `sinceResourceVersion`; returns an unsubscribe function. */
  subscribe(key: ResourceKey, listener: (event: StoreEvent) => void): () => void;
  currentResourceVersion(): number;
}

/** What a plugged-in handler gets for one request that already passed authentication and authorization. */
export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  user: UserInfo;
  query: URLSearchParams;
  /** The decoded request body (JSON, YAML or protobuf → JSON), when the request has one. */
  body: KubeObject | undefined;
  store: ObjectStore;
}

/** A handler for an upgrade request (WebSocket or SPDY) on exec/attach/portforward. */
export interface UpgradeContext {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  info: RequestInfo;
  user: UserInfo;
  query: URLSearchParams;
  store: ObjectStore;
}

/**
 * An error that the REST core turns into a metav1.Status response
 * (`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",message,reason,details,code}`).
 */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] },
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}
