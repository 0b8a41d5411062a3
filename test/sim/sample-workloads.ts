/**
 * The sample tenants of the simulated cluster: namespaces with secrets, configuration and running
 * pods, so kubectl, masking and exec have something real to show.
 */
import type { KubeObject } from './kube/types.js';

const b64 = (value: string) => Buffer.from(value).toString('base64');

function namespace(name: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

function loggingPod(ns: string, name: string, line: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      restartPolicy: 'Always',
      containers: [{
        name,
        image: `registry.example/${name}:1.0`,
        command: ['sh', '-c', `i=0; while true; do i=$((i+1)); echo "${line} seq=$i"; sleep 2; done`],
        env: [{ name: 'APP_ENV', value: ns }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }],
      }],
    },
  };
}

/**
 * Namespaces `prod` and `staging`, each with a `db-credentials` Secret, an `app-config` ConfigMap
 * (one key holds an AWS-style access key, a leak the masking detectors must catch) and a pod that
 * writes a log line every two seconds; and an empty `apps` namespace for deployments.
 */
export function sampleWorkloads(): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const ns of ['prod', 'staging']) {
    objects.push(namespace(ns, { 'kgate.dev/tier': ns }));
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: ns },
      type: 'Opaque',
      data: { username: b64(`app-${ns}`), password: b64(`${ns}-S3cr3t-pa55word`) },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: ns },
      data: { LOG_LEVEL: 'info', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', 'settings.ini': `[db]\nhost=db.${ns}.internal\npassword=hunter2-${ns}\n` },
    });
    objects.push(loggingPod(ns, 'web', `${ns} web: GET /healthz 200`));
  }
  // Where the sample policy's `deploy` grant lands; empty until someone deploys.
  objects.push(namespace('apps', { 'kgate.dev/tier': 'apps' }));
  return objects;
}
