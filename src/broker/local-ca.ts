/**
 * The per-installation certificate authority behind the broker's loopback TLS. Its certificate
 * and key live in `<state>/broker/` (directory 0700, key 0600), are created once under a lock
 * and reused afterwards; the server certificate it signs for 127.0.0.1, ::1 and localhost lives
 * in memory only and is reissued shortly before it expires. Clients trust this CA through the
 * session kubeconfig, never through the system trust store.
 */
import { webcrypto } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, KgateError } from '../cli/errors.js';
import { withRefreshLock } from '../identity/refresh-lock.js';
import { ensurePrivateDir, writeFileAtomic } from '../cli/atomic-file.js';
import type * as X509Module from '@peculiar/x509';

/** A server certificate and its private key, PEM. */
export interface ServerCertificate {
  cert: string;
  key: string;
  notAfter: Date;
  /** When the listener should ask for a new one (a quarter of the lifetime before notAfter). */
  renewAt: Date;
}

/** The local CA: what clients trust, and the server certificates the listener presents. */
export interface LocalCa {
  /** PEM of the CA certificate (what a kubeconfig's `certificate-authority-data` holds). */
  readonly certificate: string;
  readonly notAfter: Date;
  /** The current server certificate, issued anew when the old one is near its end. */
  serverCertificate(): Promise<ServerCertificate>;
}

/** Options of {@link openLocalCa}. */
export interface LocalCaOptions {
  now?: () => Date;
  /** Lifetime of a server certificate (default 24 h). */
  serverLifetimeMs?: number;
  /** Lifetime of a newly created CA (default 365 days). */
  caLifetimeMs?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// Tolerates a client clock a few minutes behind ours.
const BACKDATE_MS = 5 * 60_000;

type X509 = typeof X509Module;
let x509Module: Promise<X509> | undefined;

// Loaded on first use: the credential hot path never needs it.
function loadX509(): Promise<X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Module;
}

/** Where the CA lives under a state directory. */
export function localCaPaths(stateDir: string): { dir: string; cert: string; key: string } {
  const dir = join(stateDir, 'broker');
  return { dir, cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
}

/**
 * Opens the installation's CA, creating it on first use (or when it is within a tenth of its
 * lifetime of expiring). Refuses a key file other users could read, or one they own.
 */
export async function openLocalCa(stateDir: string, options: LocalCaOptions = {}): Promise<LocalCa> {
  const now = options.now ?? (() => new Date());
  const caLifetimeMs = options.caLifetimeMs ?? 365 * DAY;
  const paths = localCaPaths(stateDir);
  await ensurePrivateDir(paths.dir);
  await checkDirectory(paths.dir);
  let stored = await readStoredCa(paths, now(), caLifetimeMs);
  if (!stored) {
    stored = await withRefreshLock(stateDir, 'broker-ca', async () => {
      const again = await readStoredCa(paths, now(), caLifetimeMs);
      return again ?? (await createCa(paths, now(), caLifetimeMs));
    });
  }
  return new StoredLocalCa(stored, now, options.serverLifetimeMs ?? DAY);
}

interface StoredCa {
  dir: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

async function readStoredCa(paths: ReturnType<typeof localCaPaths>, now: Date, lifetimeMs: number): Promise<StoredCa | undefined> {
  // The key is written before the certificate, so a certificate on disk means its key is too.
  const certPem = await readFile(paths.cert, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw caError('KGATE_CA_UNREADABLE', `Cannot read the broker's local CA certificate ${paths.cert} (${error.code})`, [`Check the permissions of ${paths.dir}.`]);
  });
  if (certPem === undefined) return undefined;
  await checkKeyFile(paths.key);
  const keyPem = await readFile(paths.key, 'utf8');
  const x509 = await loadX509();
  let notAfter: Date;
  try {
    notAfter = new x509.X509Certificate(certPem).notAfter;
  } catch {
    throw invalidCa(paths.dir);
  }
  if (notAfter.getTime() - now.getTime() < lifetimeMs / 10) return undefined;
  return { dir: paths.dir, certPem, keyPem, notAfter };
}

async function checkDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const info = await stat(dir);
  if ((info.mode & 0o022) !== 0) {
    throw caError('KGATE_CA_DIR_PERMISSIONS', `The broker's state directory ${dir} is writable by other users`, [`Run: chmod 700 ${dir}`]);
  }
}

async function checkKeyFile(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const info = await stat(path).catch(() => {
    throw caError('KGATE_CA_INVALID', `The broker's local CA key ${path} is missing`, [`Remove ${path.replace(/ca\.key$/, 'ca.crt')} so kgate creates a new local CA.`]);
  });
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw caError('KGATE_CA_KEY_OWNER', `The broker's local CA key ${path} belongs to another user`, [`Remove ${path} and its ca.crt so kgate creates a CA of your own.`]);
  }
  if ((info.mode & 0o077) !== 0) {
    throw caError('KGATE_CA_KEY_PERMISSIONS', `The broker's local CA key ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)})`, [`Run: chmod 600 ${path}`]);
  }
}

function caError(code: string, message: string, suggestions: string[]): KgateError {
  return new KgateError(message, { code, exit: ExitCode.Error, suggestions });
}

function invalidCa(dir: string): KgateError {
  return caError('KGATE_CA_INVALID', `The broker's local CA in ${dir} cannot be used (unreadable certificate or key)`, [`Remove ${dir}/ca.crt and ${dir}/ca.key so kgate creates a new local CA.`]);
}

async function createCa(paths: ReturnType<typeof localCaPaths>, now: Date, lifetimeMs: number): Promise<StoredCa> {
  const x509 = await loadX509();
  const keys = await generateKeys();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + lifetimeMs);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=kgate local broker CA, O=kgate',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const stored = { dir: paths.dir, certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKey(keys.privateKey), notAfter };
  await writeFileAtomic(paths.key, stored.keyPem, 0o600);
  await writeFileAtomic(paths.cert, stored.certPem, 0o644);
  return stored;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(SIGNING, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, SIGNING, false, ['sign']);
}

class StoredLocalCa implements LocalCa {
  readonly certificate: string;
  readonly notAfter: Date;
  private current: Promise<ServerCertificate> | undefined;

  constructor(private readonly stored: StoredCa, private readonly now: () => Date, private readonly lifetimeMs: number) {
    this.certificate = stored.certPem;
    this.notAfter = stored.notAfter;
  }

  async serverCertificate(): Promise<ServerCertificate> {
    const current = this.current ? await this.current.catch(() => undefined) : undefined;
    if (current && current.renewAt.getTime() > this.now().getTime()) return current;
    this.current = this.issue();
    return this.current;
  }

  private async issue(): Promise<ServerCertificate> {
    const x509 = await loadX509();
    let caCert: InstanceType<X509['X509Certificate']>;
    let caKey: webcrypto.CryptoKey;
    try {
      caCert = new x509.X509Certificate(this.stored.certPem);
      caKey = await importPrivateKey(this.stored.keyPem);
    } catch {
      throw invalidCa(this.stored.dir);
    }
    const keys = await generateKeys();
    const now = this.now().getTime();
    const notAfter = new Date(Math.min(now + this.lifetimeMs, this.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=127.0.0.1, O=kgate',
      issuer: caCert.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
          { type: 'dns', value: 'localhost' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ],
    });
    // A key that does not belong to the certificate would only show up as a TLS failure later.
    if (!(await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true }))) throw invalidCa(this.stored.dir);
    const renewAt = new Date(notAfter.getTime() - (notAfter.getTime() - now) / 4);
    return { cert: cert.toString('pem') + '\n', key: await exportPrivateKey(keys.privateKey), notAfter, renewAt };
  }
}
