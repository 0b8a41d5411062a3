/**
 * What the gateway must hear from the rest of the service at once: a grant or a gateway
 * credential ended, so streams still open on it are closed now rather than at the next sweep.
 * In-process only; the gateway's periodic re-check of the store covers other replicas.
 */
export interface GatewayListener {
  grantEnded(grantId: string, reason: string): void;
  credentialEnded(credentialId: string, reason: string): void;
}

export class GatewayEvents implements GatewayListener {
  private readonly listeners = new Set<GatewayListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: GatewayListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  grantEnded(grantId: string, reason: string): void {
    for (const l of this.listeners) l.grantEnded(grantId, reason);
  }

  credentialEnded(credentialId: string, reason: string): void {
    for (const l of this.listeners) l.credentialEnded(credentialId, reason);
  }
}
