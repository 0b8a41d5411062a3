/**
 * Gateway tokens: opaque random bearers with a recognisable prefix (so secret scanners and log
 * redaction can find them), kept by the service only as a SHA-256. The API server never accepts
 * one: only the kgate gateway knows what it stands for.
 */
import { createHash, randomBytes } from 'node:crypto';

export const GATEWAY_TOKEN_PREFIX = 'kgate-gw.';
const SHAPE = /^kgate-gw\.[A-Za-z0-9_-]{43}$/;

/** A new token and the digest the store keeps. */
export function createGatewayToken(): { token: string; sha256: string } {
  const token = `${GATEWAY_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, sha256: gatewayTokenDigest(token) };
}

/** Hex SHA-256 of a token, the key it is stored under. */
export function gatewayTokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `text` has the shape of a gateway token (checked before any store lookup). */
export function looksLikeGatewayToken(text: string): boolean {
  return SHAPE.test(text);
}
