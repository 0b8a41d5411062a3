import { checkDeclaredPorts, negotiatePortForwardProtocol, parsePorts } from '../../../../sim/kube/pods/port-forward-options.js';
import type { PodObject } from '../../../../sim/kube/pods/pod-target.js';

describe('sim port-forward options', () => {
  it('negotiates like the kubelet: none, v4 binary or v4 base64, never v5 or the SPDY tunnel', () => {
    expect(negotiatePortForwardProtocol([])?.name).toBe('');
    expect(negotiatePortForwardProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'])?.name).toBe('v4.channel.k8s.io');
    expect(negotiatePortForwardProtocol(['v4.base64.channel.k8s.io'])).toMatchObject({ name: 'v4.base64.channel.k8s.io', base64: true });
    expect(negotiatePortForwardProtocol(['v5.channel.k8s.io'])).toBeUndefined();
    expect(negotiatePortForwardProtocol(['SPDY/3.1+portforward.k8s.io'])).toBeUndefined();
  });

  it('reads repeated and comma-separated ports and refuses bad ones with 400', () => {
    expect(parsePorts(new URLSearchParams('ports=80,443&ports=5432'))).toEqual([80, 443, 5432]);
    expect(() => parsePorts(new URLSearchParams(''))).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => parsePorts(new URLSearchParams('ports=70000'))).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining('"70000"') }));
  });

  it('forwards only declared containerPorts', () => {
    const pod: PodObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }, { name: 'b', ports: [{ containerPort: 9090 }] }] } };
    expect(() => checkDeclaredPorts(pod, [80, 9090])).not.toThrow();
    expect(() => checkDeclaredPorts(pod, [80, 81])).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining('does not declare containerPort 81') }));
  });
});
