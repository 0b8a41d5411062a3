import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TOOLS = ['dbus-daemon', 'gnome-keyring-daemon', 'secret-tool'];

/** The Secret Service tools missing from PATH (Debian: dbus-daemon, gnome-keyring, libsecret-tools). */
export function missingSecretServiceTools(): string[] {
  return TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/** A private D-Bus session bus with an unlocked gnome-keyring serving the Secret Service API. */
export interface SecretService {
  busAddress: string;
  /** Runs secret-tool on this bus. */
  secretTool(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  /** Accounts of items stored under a Secret Service `service` attribute. */
  accounts(service: string): string[];
  stop(): Promise<void>;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n', 1)[0]!);
    });
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// A session bus without service activation: otherwise the first client call before our daemon
// has registered would make dbus-daemon start a second, locked gnome-keyring in the real HOME.
function busConfig(runtime: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/** Starts dbus-daemon and gnome-keyring-daemon (unlocked with a throwaway password) under `home`. */
export async function startSecretService(home: string): Promise<SecretService> {
  const runtime = join(home, 'run');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  const config = join(home, 'session.conf');
  await writeFile(config, busConfig(runtime));
  const privateEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
  const bus = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'], { env: privateEnv, stdio: ['ignore', 'pipe', 'ignore'] });
  const busAddress = await firstLine(bus);
  const env = { ...privateEnv, DBUS_SESSION_BUS_ADDRESS: busAddress };
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  keyring.stdin!.end('throwaway-password');
  const secretTool = (args: string[], input?: string) => {
    const run = spawnSync('secret-tool', args, { env, input, encoding: 'utf8', timeout: 10_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const service: SecretService = {
    busAddress,
    secretTool,
    accounts(name) {
      // secret-tool prints each item's attributes on stderr (and its secret on stdout).
      const listing = secretTool(['search', '--all', 'service', name]).stderr;
      return [...listing.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1]!);
    },
    stop: async () => {
      await stopChild(keyring);
      await stopChild(bus);
    },
  };
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (service.secretTool(['store', '--label=probe', 'service', 'kgate-probe', 'username', 'probe'], 'ok').status === 0) {
      service.secretTool(['clear', 'service', 'kgate-probe', 'username', 'probe']);
      return service;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await service.stop();
  throw new Error('gnome-keyring did not start serving org.freedesktop.secrets');
}
