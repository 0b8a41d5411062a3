import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { prepareShell, shellPlan, shQuote } from '../../../src/session/shell-setup.js';

const run = promisify(execFile);
const session = { cluster: 'prod-eu', template: 'deploy', grantId: 'abc123', expiresAt: Date.UTC(2030, 0, 1, 12, 0, 0) };

describe('shellPlan', () => {
  it('gives bash an rcfile that sources ~/.bashrc and prefixes the prompt', () => {
    const plan = shellPlan({ ...session, shell: '/usr/bin/bash' }, '/tmp/x', {});
    expect(plan.argv).toEqual(['/usr/bin/bash', '--rcfile', '/tmp/x/bashrc', '-i']);
    expect(plan.env).toEqual({ KGATE_SESSION: 'abc123', KGATE_SESSION_EXPIRES: String(session.expiresAt / 1000), KGATE_SESSION_EXPIRES_FILE: '/tmp/x/expires' });
    expect(plan.files.bashrc).toMatch(/^\[ -f ~\/\.bashrc \] && \. ~\/\.bashrc$/m);
    expect(plan.files.bashrc).toContain(`PS1='(kgate:prod-eu/deploy $(__kgate_left)) '"$PS1"`);
  });

  it('gives zsh a ZDOTDIR whose .zshrc sources the real one', () => {
    const plan = shellPlan({ ...session, shell: '/bin/zsh' }, '/tmp/x', { HOME: '/home/o\'neil' });
    expect(plan.argv).toEqual(['/bin/zsh', '-i']);
    expect(plan.env.ZDOTDIR).toBe('/tmp/x');
    expect(plan.files['.zshrc']).toContain(`ZDOTDIR=${shQuote("/home/o'neil")}`);
    expect(plan.files['.zshrc']).toContain('setopt PROMPT_SUBST');
  });

  it('gives any other shell the marker in PS1', () => {
    const plan = shellPlan({ ...session, shell: '/bin/sh' }, '/tmp/x', { PS1: '% ' });
    expect(plan).toEqual({ argv: ['/bin/sh', '-i'], env: expect.objectContaining({ PS1: '(kgate:prod-eu/deploy) % ' }), files: {} });
    expect(shellPlan({ ...session, shell: 'dash' }, '/tmp/x', {}).env.PS1).toBe('(kgate:prod-eu/deploy) $ ');
  });
});

describe('the bash rcfile, run by bash', () => {
  it('shows the time left of the grant the session was extended onto', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kgate-rc-'));
    try {
      const prepared = await prepareShell({ ...session, shell: 'bash', expiresAt: Date.now() + 30_000 }, { HOME: home });
      await prepared.setExpiry(Date.now() + 7_290_000);
      const { stdout } = await run('bash', ['--norc', '-c', `. ${shQuote(prepared.argv[2]!)}; printf '%s' "\${PS1@P}"`], { env: { PATH: process.env.PATH, HOME: home, ...prepared.env } });
      expect(stdout).toBe('(kgate:prod-eu/deploy 2h01m) ');
      await prepared.dispose();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it.each([
    [7_230_000, '2h00m'],
    [1_530_000, '25m'],
    [30_000, '<1m'],
    [-1_000, 'expired'],
  ])('with %p ms left the prompt reads %p, after the user\'s own prompt from ~/.bashrc', async (left, shown) => {
    const home = await mkdtemp(join(tmpdir(), 'kgate-rc-'));
    try {
      await writeFile(join(home, '.bashrc'), "PS1='mine> '\n");
      const prepared = await prepareShell({ ...session, shell: 'bash', expiresAt: Date.now() + left }, { HOME: home });
      const rcfile = prepared.argv[2]!;
      const { stdout } = await run('bash', ['--norc', '-c', `. ${shQuote(rcfile)}; printf '%s' "\${PS1@P}"`], { env: { PATH: process.env.PATH, HOME: home, ...prepared.env } });
      expect(stdout).toBe(`(kgate:prod-eu/deploy ${shown}) mine> `);
      await prepared.dispose();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
