// Smoke test of the test control plane (test/cluster/harness.mjs): real
// kube-apiserver, controller-manager, scheduler and etcd, with kwok nodes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  clusterTestsEnabled, kubeRequest, pinnedVersions, startCluster,
} from './harness.mjs';

if (clusterTestsEnabled(test, 'test/cluster/smoke.test.mjs')) {
  let cluster;

  // uvu swallows a before-hook's error: keep it and fail every test with it.
  let startError;
  test.before(async () => {
    try {
      cluster = await startCluster();
    } catch (e) {
      startError = e;
      console.error(`control plane did not start: ${e.stack || e}`);
      return;
    }
    console.log(`\ncluster up in ${(cluster.startupMs / 1000).toFixed(1)} s at ${cluster.apiUrl}`);
  });

  test.before.each(() => {
    if (startError) throw new Error(`the control plane did not start: ${startError.message.split('\n')[0]} (details above)`);
  });

  test.after(async () => {
    if (cluster) await cluster.stop();
  });

  const kubectl = (args, input) => {
    const r = cluster.kubectl(args, { input });
    if (r.status !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    }
    return r.stdout;
  };

  test('server reports the pinned Kubernetes version', () => {
    const v = JSON.parse(kubectl(['version', '-o', 'json']));
    assert.is(v.serverVersion.gitVersion, pinnedVersions().K8S_VERSION);
  });

  test('kubectl get nodes shows the three fake nodes Ready', () => {
    const text = kubectl(['get', 'nodes', '--no-headers']);
    for (const n of ['node-reg-1', 'node-reg-2', 'node-plain-1']) {
      assert.match(text, new RegExp(`^${n}\\s+Ready\\s`, 'm'), text);
    }
    const reg = kubectl(['get', 'nodes', '-l', 'node=registry', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(reg.split(' ').sort(), ['node-reg-1', 'node-reg-2']);
  });

  test('a Deployment on node=registry nodes gets Ready pods', () => {
    kubectl(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeSelector: { node: registry }
      containers:
      - name: web
        image: busybox:1.37
        command: [sleep, infinity]
        readinessProbe: { exec: { command: ['true'] } }
`);
    kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = JSON.parse(kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items;
    assert.is(pods.length, 2);
    for (const p of pods) {
      assert.ok(p.spec.nodeName.startsWith('node-reg-'), `scheduled on ${p.spec.nodeName}`);
      assert.is(p.status.phase, 'Running');
      assert.ok(p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
    }
  });

  test('a Job completes', () => {
    kubectl(['apply', '-f', '-'], `
apiVersion: batch/v1
kind: Job
metadata: { name: once, namespace: default }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: once
        image: busybox:1.37
        command: ['true']
`);
    kubectl(['wait', '--for=condition=complete', 'job/once', '--timeout=90s']);
    const job = JSON.parse(kubectl(['get', 'job', 'once', '-o', 'json']));
    assert.is(job.status.succeeded, 1);
  });

  test('a ClusterIP Service gets an IP from the service range', () => {
    kubectl(['apply', '-f', '-'], `
apiVersion: v1
kind: Service
metadata: { name: registry-svc, namespace: default }
spec:
  type: ClusterIP
  selector: { app: web }
  ports: [{ name: https, port: 5000, targetPort: 5000 }]
`);
    const ip = kubectl(['get', 'service', 'registry-svc', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(ip, /^10\.96\.\d{1,3}\.\d{1,3}$/);
    assert.is.not(ip, '10.96.0.1');
  });

  test('a TokenRequest token is accepted and RBAC limits it', async () => {
    kubectl(['create', 'serviceaccount', 'reader']);
    kubectl(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods']);
    kubectl(['create', 'rolebinding', 'reader-pods', '--role=pod-reader', '--serviceaccount=default:reader']);
    const token = kubectl(['create', 'token', 'reader', '--duration=10m']).trim();
    assert.ok(token.split('.').length === 3, 'a JWT');
    const as = { apiUrl: cluster.apiUrl, ca: cluster.ca, token };

    const who = await kubeRequest(as, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.is(who.status, 201, who.body);
    assert.is(who.json.status.userInfo.username, 'system:serviceaccount:default:reader');

    const pods = await kubeRequest(as, 'GET', '/api/v1/namespaces/default/pods');
    assert.is(pods.status, 200, pods.body);
    const secrets = await kubeRequest(as, 'GET', '/api/v1/namespaces/default/secrets');
    assert.is(secrets.status, 403, secrets.body);
    const other = await kubeRequest(as, 'GET', '/api/v1/namespaces/kube-system/pods');
    assert.is(other.status, 403, other.body);
    const bogus = await kubeRequest({ ...as, token: `${token.slice(0, -4)}AAAA` }, 'GET', '/api/v1/namespaces/default/pods');
    assert.is(bogus.status, 401, bogus.body);
  });

  test('the admin token works too (for tools that take a bearer token)', async () => {
    const r = await cluster.request('GET', '/api/v1/namespaces/kube-system');
    assert.is(r.status, 200, r.body);
  });

  test.run();
}
