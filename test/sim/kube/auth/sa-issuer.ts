/**
 * The sim's service-account token issuer: one RS256 key per sim, the `kid` derived from the public
 * key like kube-apiserver does (base64url SHA-256 of the DER SubjectPublicKeyInfo), JWKS and
 * discovery documents for anyone who wants to trust SA tokens as workload identity.
 */
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';

const generateRsaKeyPair = promisify(generateKeyPair);

/** Issuer URL of a default kube-apiserver (--service-account-issuer). */
export const DEFAULT_SA_ISSUER = 'https://kubernetes.default.svc';

/** What a relying party needs to verify the sim's SA tokens. */
export interface ServiceAccountIssuerInfo {
  issuer: string;
  jwks: { keys: JWK[] };
  /** The document kube-apiserver serves at /.well-known/openid-configuration. */
  openidConfiguration: Record<string, unknown>;
}

/** Signs and verifies JWTs with the per-sim key. */
export class SaTokenSigner {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly kid: string,
    private readonly jwk: JWK,
  ) {}

  /** Generates a fresh key pair for an issuer URL. */
  static async create(issuer: string = DEFAULT_SA_ISSUER): Promise<SaTokenSigner> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const kid = createHash('sha256').update(der).digest('base64url');
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return new SaTokenSigner(issuer, privateKey, publicKey, kid, jwk);
  }

  /** Signs claims (iss is set here) as a compact JWS. */
  sign(claims: JWTPayload): Promise<string> {
    return new SignJWT({ ...claims, iss: this.issuer }).setProtectedHeader({ alg: 'RS256', kid: this.kid }).sign(this.privateKey);
  }

  /**
   * Verifies signature, issuer, exp and nbf (with the 60 s leeway kube-apiserver allows).
   * @throws jose errors when the token is invalid
   */
  async verify(token: string, now: number): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.publicKey, {
      issuer: this.issuer,
      algorithms: ['RS256'],
      currentDate: new Date(now),
      clockTolerance: 60,
    });
    return payload;
  }

  /** Issuer URL, JWKS and OpenID discovery document. */
  info(): ServiceAccountIssuerInfo {
    return {
      issuer: this.issuer,
      jwks: { keys: [{ ...this.jwk }] },
      openidConfiguration: {
        issuer: this.issuer,
        jwks_uri: `${this.issuer.replace(/\/$/, '')}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      },
    };
  }
}
