/**
 * The attacker's side of the disk-full test, run by `kgate exec` as the wrapped command: `count`
 * requests through the broker its KUBECONFIG names, one at a time, alternating a ConfigMap create
 * (`<prefix>-<n>` in `apps`) and a read of it; then it prints `paused`, waits for a line on stdin
 * and sends `more` requests the same way. Prints one JSON line per request: the status, the
 * Audit-Id kgate answered with and the Status message of a refusal.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createInterface } from 'node:readline';

const [prefix, count, more] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4] ?? 0)];
const config = JSON.parse(readFileSync(process.env.KUBECONFIG!, 'utf8')) as {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
};
const { server, 'certificate-authority-data': caData } = config.clusters[0]!.cluster;
const ca = Buffer.from(caData, 'base64').toString('utf8');
const token = config.users[0]!.user.token;

function send(method: string, path: string, body?: unknown): Promise<{ status: number; auditId?: string; message?: string; error?: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(new URL(path, server), {
      method, ca,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('error', (error) => resolve({ status: 0, error: error.message }));
      res.on('end', () => {
        let message: string | undefined;
        try {
          const parsed = JSON.parse(text) as { kind?: string; message?: string };
          if (parsed.kind === 'Status') message = parsed.message;
        } catch {
          message = undefined;
        }
        resolve({ status: res.statusCode ?? 0, auditId: res.headers['audit-id'] as string | undefined, ...(message ? { message } : {}) });
      });
    });
    req.on('error', (error) => resolve({ status: 0, error: error.message }));
    req.end(data);
  });
}

async function burst(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1) await one(i);
}

async function one(i: number): Promise<void> {
  const name = `${prefix}-${Math.floor(i / 2)}`;
  const result = i % 2 === 0
    ? await send('POST', '/api/v1/namespaces/apps/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: String(i) } })
    : await send('GET', `/api/v1/namespaces/apps/configmaps/${name}`);
  process.stdout.write(`${JSON.stringify({ i, verb: i % 2 === 0 ? 'create' : 'get', name, ...result })}\n`);
}

await burst(0, count);
if (more > 0) {
  process.stdout.write('paused\n');
  for await (const _ of createInterface({ input: process.stdin })) break;
  await burst(count, count + more);
}
process.exit(0);
