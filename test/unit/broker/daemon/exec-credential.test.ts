import { describe, expect, it } from '@jest/globals';
import { execCredential, EXPIRY_MARGIN_MS, parseExecInfo, parsePluginArgs } from '../../../../src/broker/daemon/exec-credential.js';

describe('parseExecInfo', () => {
  it('reads the apiVersion and interactive flag kubectl sends', () => {
    expect(parseExecInfo(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: true } }), false))
      .toEqual({ apiVersion: 'client.authentication.k8s.io/v1beta1', interactive: true });
    expect(parseExecInfo(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } }), true))
      .toEqual({ apiVersion: 'client.authentication.k8s.io/v1', interactive: false });
  });

  it('without KUBERNETES_EXEC_INFO answers v1 and lets the terminal decide', () => {
    expect(parseExecInfo(undefined, true)).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', interactive: true });
    expect(parseExecInfo('', false).interactive).toBe(false);
  });

  it('refuses garbage and versions it does not speak', () => {
    expect(() => parseExecInfo('{', false)).toThrow('not JSON');
    expect(() => parseExecInfo(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1alpha1' }), false)).toThrow('not client.authentication.k8s.io/v1alpha1');
  });
});

describe('execCredential', () => {
  it('writes one ExecCredential line in the version asked, expiring a margin early, to the second', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const line = execCredential('client.authentication.k8s.io/v1beta1', 'tok', now + 3_600_000 + 500, now);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: 'tok', expirationTimestamp: new Date(now + 3_600_000 - EXPIRY_MARGIN_MS).toISOString().replace('.000Z', 'Z') },
    });
  });

  it('never reports an expiry in the past', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const { status } = JSON.parse(execCredential('client.authentication.k8s.io/v1', 't', now + 10_000, now)) as { status: { expirationTimestamp: string } };
    expect(Date.parse(status.expirationTimestamp)).toBeGreaterThan(now);
  });
});

describe('parsePluginArgs', () => {
  it('reads --flag value and --flag=value, namespaces repeated, and ignores the rest', () => {
    expect(parsePluginArgs(['--cluster', 'prod', '--grant=operate', '--namespace', 'a', '--namespace=b', '--other', 'x'])).toEqual({ cluster: 'prod', grant: 'operate', namespaces: ['a', 'b'], gateway: false });
    expect(parsePluginArgs(['--cluster'])).toEqual({ namespaces: [], gateway: false });
  });

  it('reads a gateway context\'s --gateway and --server', () => {
    expect(parsePluginArgs(['--cluster', 'prod', '--grant', 'operate', '--gateway', '--server', 'https://kgate.example'])).toEqual({ cluster: 'prod', grant: 'operate', namespaces: [], gateway: true, server: 'https://kgate.example' });
  });
});
