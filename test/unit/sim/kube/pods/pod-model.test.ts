import { expandReferences } from '../../../../sim/kube/pods/container-env.js';
import { mainArgv, normaliseImage } from '../../../../sim/kube/pods/container-runner.js';
import { buildPodStatus, podPhase, qosClass, type ContainerSummary } from '../../../../sim/kube/pods/pod-status.js';
import { chooseContainer, type PodObject } from '../../../../sim/kube/pods/pod-target.js';
import { parseStreamOptions } from '../../../../sim/kube/pods/stream-options.js';
import { shellQuote, ttyArgv } from '../../../../sim/kube/pods/tty.js';

const pod = (names: string[]): PodObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: names.map((name) => ({ name })) } });
const summary = (over: Partial<ContainerSummary>): ContainerSummary => ({ name: 'c', running: false, done: false, created: true, status: {}, ...over });

describe('chooseContainer', () => {
  it('defaults to the only container', () => expect(chooseContainer(pod(['app']), '').name).toBe('app'));
  it('names the choices like the apiserver', () => {
    expect(() => chooseContainer(pod(['a', 'b']), '')).toThrow('a container name must be specified for pod web, choose one of: [a b]');
    expect(() => chooseContainer(pod(['a']), 'x')).toThrow('container x is not valid for pod web');
  });
});

describe('parseStreamOptions', () => {
  it('needs a stream', () => {
    expect(() => parseStreamOptions(new URLSearchParams('stdin=false&stdout=false&stderr=false'))).toThrow('you must specify at least 1 of stdin, stdout, stderr');
  });
  it('folds stderr into a tty and keeps repeated commands', () => {
    expect(parseStreamOptions(new URLSearchParams('stdout=true&stderr=true&tty=true&command=ls&command=-l'))).toEqual({ stdin: false, stdout: true, stderr: false, tty: true, container: '', command: ['ls', '-l'] });
  });
});

describe('pod status', () => {
  it.each([
    [[summary({ created: false })], 'Pending'],
    [[summary({ running: true }), summary({ done: true, exitCode: 0 })], 'Running'],
    [[summary({ done: true, exitCode: 0 })], 'Succeeded'],
    [[summary({ done: true, exitCode: 0 }), summary({ done: true, exitCode: 2 })], 'Failed'],
  ])('phase of %j is %s', (containers, phase) => expect(podPhase(containers)).toBe(phase));

  it('reports readiness and keeps unchanged transition times', () => {
    const status = buildPodStatus({
      containers: [summary({ name: 'app', running: true })],
      startTime: 'T0',
      qosClass: 'BestEffort',
      previousConditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'T1' }],
      now: 'T2',
    }) as { phase: string; podIP: string; conditions: { type: string; status: string; lastTransitionTime: string }[] };
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('127.0.0.1');
    expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 'T1' });
    expect(status.conditions.find((c) => c.type === 'ContainersReady')).toMatchObject({ status: 'True', lastTransitionTime: 'T2' });
  });

  it('computes the QoS class', () => {
    expect(qosClass([{}])).toBe('BestEffort');
    expect(qosClass([{ resources: { limits: { cpu: '1', memory: '1Gi' } } }])).toBe('Guaranteed');
    expect(qosClass([{ resources: { requests: { cpu: '1' } } }])).toBe('Burstable');
  });
});

describe('container process', () => {
  it('normalises image references like containerd', () => {
    expect(normaliseImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normaliseImage('bitnami/kubectl:1.32')).toBe('docker.io/bitnami/kubectl:1.32');
    expect(normaliseImage('public.ecr.aws/eks/app:v1')).toBe('public.ecr.aws/eks/app:v1');
  });

  it('builds the main argv', () => {
    expect(mainArgv({ name: 'c', command: ['echo'], args: ['$(GREETING)', '$$(HOME)'] }, { GREETING: 'hi' })).toEqual(['echo', 'hi', '$(HOME)']);
    expect(mainArgv({ name: 'c', args: ['sh', '-c', 'true'] }, {})).toEqual(['sh', '-c', 'true']);
    expect(mainArgv({ name: 'c' }, {})).toEqual(['sleep', 'infinity']);
  });

  it('expands only known references', () => expect(expandReferences('$(A)-$(B)', { A: '1' })).toBe('1-$(B)'));

  it('quotes commands for the pty wrapper', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(ttyArgv(['sh', '-c', 'echo $X'], { width: 80, height: 24 })).toEqual(['script', '-qfec', "stty rows 24 cols 80 2>/dev/null; exec sh -c 'echo $X'", '/dev/null']);
  });
});
