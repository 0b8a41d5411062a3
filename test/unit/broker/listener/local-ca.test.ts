import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { localCaPaths, openLocalCa } from '../../../../src/broker/local-ca.js';
import { KgateError } from '../../../../src/cli/errors.js';
import { scratchDir } from '../../../support/scratch.js';

const HOUR = 3_600_000;

function stateDir(): string {
  return scratchDir('kgate-ca-');
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function caError(promise: Promise<unknown>): Promise<KgateError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KgateError);
  return error as KgateError;
}

describe('openLocalCa', () => {
  it('creates the CA on first use with a private directory and key, and reuses it afterwards', async () => {
    const state = stateDir();
    const paths = localCaPaths(state);
    const first = await openLocalCa(state);
    expect(mode(paths.dir)).toBe(0o700);
    expect(mode(paths.key)).toBe(0o600);
    expect(readFileSync(paths.cert, 'utf8')).toBe(first.certificate);
    const ca = new X509Certificate(first.certificate);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    // The stored key is the CA's.
    expect(createPublicKey(createPrivateKey(readFileSync(paths.key))).export({ format: 'jwk' })).toEqual(ca.publicKey.export({ format: 'jwk' }));

    const again = await openLocalCa(state);
    expect(again.certificate).toBe(first.certificate);
  });

  it('creates one CA when several processes start at once', async () => {
    const state = stateDir();
    const cas = await Promise.all([openLocalCa(state), openLocalCa(state), openLocalCa(state)]);
    const onDisk = readFileSync(localCaPaths(state).cert, 'utf8');
    for (const ca of cas) expect(ca.certificate).toBe(onDisk);
  });

  it('issues a short-lived server certificate for 127.0.0.1, ::1 and localhost signed by the CA', async () => {
    const ca = await openLocalCa(stateDir());
    const server = await ca.serverCertificate();
    const cert = new X509Certificate(server.cert);
    const caCert = new X509Certificate(ca.certificate);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.checkIP('10.0.0.1')).toBeUndefined();
    const lifetime = new Date(cert.validTo).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(23 * HOUR);
    expect(lifetime).toBeLessThanOrEqual(24 * HOUR);
    expect(createPublicKey(createPrivateKey(server.key)).export({ format: 'jwk' })).toEqual(cert.publicKey.export({ format: 'jwk' }));
  });

  it('keeps the server certificate until its renewal time and issues a new one after', async () => {
    let now = Date.now();
    const ca = await openLocalCa(stateDir(), { now: () => new Date(now) });
    const first = await ca.serverCertificate();
    expect(first.renewAt.getTime()).toBe(first.notAfter.getTime() - 6 * HOUR);
    now += 17 * HOUR;
    expect(await ca.serverCertificate()).toBe(first);
    now += 2 * HOUR;
    const second = await ca.serverCertificate();
    expect(second.cert).not.toBe(first.cert);
    expect(second.notAfter.getTime()).toBe(now + 24 * HOUR);
  });

  it('replaces a CA that is about to expire', async () => {
    const state = stateDir();
    let now = Date.now();
    const first = await openLocalCa(state, { now: () => new Date(now) });
    now += 360 * 24 * HOUR;
    const replaced = await openLocalCa(state, { now: () => new Date(now) });
    expect(replaced.certificate).not.toBe(first.certificate);
    expect(readFileSync(localCaPaths(state).cert, 'utf8')).toBe(replaced.certificate);
  });

  it('refuses a key other users can read, naming the chmod that fixes it', async () => {
    const state = stateDir();
    await openLocalCa(state);
    const { key } = localCaPaths(state);
    chmodSync(key, 0o640);
    const error = await caError(openLocalCa(state));
    expect(error.code).toBe('KGATE_CA_KEY_PERMISSIONS');
    expect(error.message).toContain('mode 640');
    expect(error.suggestions).toEqual([`Run: chmod 600 ${key}`]);
    chmodSync(key, 0o600);
    await expect(openLocalCa(state)).resolves.toBeDefined();
  });

  it('refuses a state directory other users can write', async () => {
    const state = stateDir();
    await openLocalCa(state);
    const { dir } = localCaPaths(state);
    chmodSync(dir, 0o777);
    const error = await caError(openLocalCa(state));
    expect(error.code).toBe('KGATE_CA_DIR_PERMISSIONS');
    expect(error.suggestions).toEqual([`Run: chmod 700 ${dir}`]);
  });

  it('reports a damaged certificate with the way out', async () => {
    const state = stateDir();
    await openLocalCa(state);
    writeFileSync(localCaPaths(state).cert, 'not a certificate');
    const error = await caError(openLocalCa(state));
    expect(error.code).toBe('KGATE_CA_INVALID');
    expect(error.suggestions[0]).toMatch(/Remove .*ca\.crt and .*ca\.key/);
  });

  it('reports a key that does not belong to the certificate when issuing', async () => {
    const state = stateDir();
    await openLocalCa(state);
    const other = stateDir();
    await openLocalCa(other);
    writeFileSync(localCaPaths(state).key, readFileSync(localCaPaths(other).key), { mode: 0o600 });
    const ca = await openLocalCa(state);
    const error = await caError(ca.serverCertificate());
    expect(error.code).toBe('KGATE_CA_INVALID');
  });
});
