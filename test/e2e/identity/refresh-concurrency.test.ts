import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import { startIdp, type SimIdp } from '../../sim/idp/provider.js';
import { approveDevice } from '../../sim/idp/person.js';
import { createSandbox, runKgate, startKgate, type Sandbox } from './kgate-cli.js';

// Long enough that the token one process renews is still fresh for the slowest of the 20
// (they all start on a 2-core machine), short enough to wait for its expiry in a test.
const TTL_SECONDS = 16;
const PROCESSES = 20;
let tls: SimTls;
let idp: SimIdp;
let box: Sandbox;

beforeAll(async () => {
  tls = await createSimTls();
  idp = await startIdp({ tls, accessTokenTtlSeconds: TTL_SECONDS });
  box = await createSandbox(tls.ca.cert);
});

afterAll(async () => {
  await idp?.close();
  await box?.remove();
});

test(`${PROCESSES} processes that all need a refresh cause exactly one refresh grant`, async () => {
  const env = box.env({ KGATE_ISSUER: idp.issuer });
  const login = startKgate(['login', '--device'], { env, pty: true });
  const [, verificationUri, userCode] = await login.waitFor(/open (https:\S+) and enter the code (\S+)/);
  await approveDevice({ verificationUri: verificationUri!, userCode: userCode!, username: 'alice', password: idp.people.alice.password, ca: tls.ca.cert });
  expect((await login.done).code).toBe(0);
  const dir = join(box.stateDir, 'tokens');
  const entry = join(dir, (await readdir(dir))[0]!);
  const before = JSON.parse(await readFile(entry, 'utf8')) as { expiresAt: number; refreshToken: string };

  // Renewal starts a quarter of the lifetime before expiry; wait until then.
  const renewAt = (before.expiresAt - TTL_SECONDS / 4) * 1000 + 200;
  await new Promise((r) => setTimeout(r, Math.max(0, renewAt - Date.now())));
  const stats = idp.stats();
  const runs = await Promise.all(Array.from({ length: PROCESSES }, () => runKgate(['whoami', '--json'], { env, timeoutMs: 60_000 })));

  for (const run of runs) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const after = idp.stats();
  expect(after.grants.refresh_token ?? 0).toBe((stats.grants.refresh_token ?? 0) + 1);
  expect(after.grantErrors.refresh_token ?? 0).toBe(stats.grantErrors.refresh_token ?? 0);
  const fingerprints = new Set(runs.map((r) => JSON.parse(r.stdout).result.tokenFingerprint));
  expect(fingerprints.size).toBe(1);
  const renewed = JSON.parse(await readFile(entry, 'utf8')) as { expiresAt: number; refreshToken: string };
  expect(renewed.refreshToken).not.toBe(before.refreshToken);
  expect(renewed.expiresAt).toBeGreaterThan(before.expiresAt);
  expect(await readdir(join(box.stateDir, 'locks'))).toEqual([]);
});
