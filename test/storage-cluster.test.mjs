// storage.kind nfsVolume and pvc, the gc CronJob, the PodDisruptionBudget and
// the ReadWriteOnce preflight against a real API server
// (test/cluster/harness.mjs: kube-apiserver, controller-manager with the PV
// binder, scheduler, etcd, kwok nodes). kwok runs no containers: this proves
// the objects are accepted, bound and scheduled, not that NFS mounts (the
// kernel here has no NFS). Skipped without the control plane, failing under CI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, ROOT, buildChart, tempDir } from './helpers/chart.mjs';
import { BUILD_COMMAND, binDir, missingBinaries, requireBinaries, startCluster } from './cluster/harness.mjs';

const missing = missingBinaries();
if (missing.length > 0) {
  const msg = `control plane binaries not found in ${binDir()} (missing: ${missing.join(', ')}); build them with: ${BUILD_COMMAND}`;
  if (process.env.CI) test('control plane binaries are present', () => requireBinaries());
  else {
    console.warn(`\nSKIP test/storage-cluster.test.mjs: ${msg}\n`);
    test.skip(`storage kinds against a real API server (skipped: ${msg})`, () => {});
  }
  test.run();
} else {
  const work = tempDir('creg-storage-cluster-');
  let cluster;
  let chart;
  const h = HELMS[0];
  test.before(async () => {
    chart = (await buildChart({ outputDir: join(work, 'out') })).tgzPath;
    cluster = await startCluster();
  });
  test.after(async () => {
    if (cluster) await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const helm = (args, hh = h) => {
    const r = spawnSync(hh.bin, [...args, '--kubeconfig', cluster.kubeconfig], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, HELM_CONFIG_HOME: join(work, 'helm', 'config'), HELM_CACHE_HOME: join(work, 'helm', 'cache'), HELM_DATA_HOME: join(work, 'helm', 'data') },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const kubectl = (args, input) => {
    const r = cluster.kubectl(args, { input });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const waitFor = async (what, fn, ms = 90_000) => {
    const until = Date.now() + ms;
    let last;
    for (;;) {
      last = fn();
      if (last) return last;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const pv = (name, mode, cls) => `
apiVersion: v1
kind: PersistentVolume
metadata: { name: ${name} }
spec:
  capacity: { storage: 5Gi }
  accessModes: [${mode}]
  storageClassName: ${cls}
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: /tmp/${name} }
`;

  test('pvc: the chart\'s ReadWriteMany claim is bound by a pre-made PV; two registry pods, a PDB and the gc CronJob are accepted and scheduled', async () => {
    kubectl(['create', 'namespace', 'pvc'], undefined);
    kubectl(['apply', '-f', '-'], pv('pv-rwx', 'ReadWriteMany', 'manual'));
    const r = helm(['install', 'pvc', chart, '-n', 'pvc', '--set', [
      'storage.kind=pvc', 'storage.pvc.storageClassName=manual', 'storage.pvc.size=1Gi', 'registry.kind=Deployment', 'registry.replicas=2', 'gc.enabled=true', 'metrics.enabled=true',
    ].join(',')]);
    assert.is(r.code, 0, r.err);
    const phase = await waitFor('PVC pvc-creg-data Bound', () => {
      const p = kubectl(['get', 'pvc', 'pvc-creg-data', '-n', 'pvc', '-o', 'jsonpath={.status.phase}/{.spec.volumeName}']);
      return p.startsWith('Bound/') ? p : null;
    });
    assert.is(phase, 'Bound/pv-rwx');
    const pods = await waitFor('two registry pods Running', () => {
      const items = JSON.parse(kubectl(['get', 'pods', '-n', 'pvc', '-l', 'app.kubernetes.io/component=registry', '-o', 'json'])).items;
      return items.filter((p) => p.status.phase === 'Running').length === 2 ? items : null;
    });
    for (const p of pods) assert.is(p.spec.volumes.find((v) => v.name === 'data').persistentVolumeClaim.claimName, 'pvc-creg-data');
    const pdb = JSON.parse(kubectl(['get', 'pdb', 'pvc-creg', '-n', 'pvc', '-o', 'json']));
    assert.is(pdb.spec.minAvailable, 1);
    const cron = JSON.parse(kubectl(['get', 'cronjob', 'pvc-creg-gc', '-n', 'pvc', '-o', 'json']));
    assert.is(cron.spec.jobTemplate.spec.template.spec.volumes.find((v) => v.name === 'data').persistentVolumeClaim.claimName, 'pvc-creg-data');
    // the job the CronJob would create is accepted too
    kubectl(['create', 'job', '--from=cronjob/pvc-creg-gc', 'gc-now', '-n', 'pvc']);
    const job = JSON.parse(kubectl(['get', 'job', 'gc-now', '-n', 'pvc', '-o', 'json']));
    assert.equal(job.spec.template.spec.initContainers.map((c) => c.name), ['read-only', 'garbage-collect']);
  });

  test('gc maintenance steps with the gc ServiceAccount\'s own token: read-only (ConfigMap + every pod replaced), read-write, a failed GC fails the Job step', async () => {
    const { writeFileSync } = await import('node:fs');
    const tokenFile = join(work, 'gc-token');
    writeFileSync(tokenFile, kubectl(['create', 'token', 'pvc-creg-gc', '-n', 'pvc', '--duration=10m']).trim());
    const cronEnv = JSON.parse(kubectl(['get', 'cronjob', 'pvc-creg-gc', '-n', 'pvc', '-o', 'json'])).spec.jobTemplate.spec.template.spec.containers[0].env;
    const env = { PATH: process.env.PATH, KUBE_API_URL: cluster.apiUrl, KUBE_CA_FILE: cluster.caFile, KUBE_TOKEN_FILE: tokenFile };
    for (const e of cronEnv) if ('value' in e) env[e.name] = e.value;
    env.POD_NAMESPACE = 'pvc';
    env.READY_TIMEOUT_SECONDS = '90';
    const podNames = () => JSON.parse(kubectl(['get', 'pods', '-n', 'pvc', '-l', 'app.kubernetes.io/component=registry', '-o', 'json'])).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
    const mode = () => kubectl(['get', 'configmap', 'pvc-creg-maintenance', '-n', 'pvc', '-o', 'jsonpath={.data.REGISTRY_STORAGE_MAINTENANCE}']);
    const step = (which, extra = {}) => spawnSync(process.execPath, [join(ROOT, 'dist', 'signer', 'signer.js'), 'maintenance', which], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 240_000 });
    const before = podNames();
    assert.is(before.length, 2);
    let r = step('read-only');
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.is(mode(), '{"readonly":{"enabled":true}}');
    const during = podNames();
    assert.ok(during.every((n) => !before.includes(n)), `every registry pod was replaced: ${before} -> ${during}`);
    assert.match(r.stdout, /registry is read-only: pushes are refused/);
    const exitFile = join(work, 'gc-exit');
    writeFileSync(exitFile, '0\n');
    r = step('read-write', { GC_EXIT_FILE: exitFile });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.is(mode(), '{"readonly":{"enabled":false}}');
    assert.ok(podNames().every((n) => !during.includes(n)), 'replaced again');
    writeFileSync(exitFile, '1\n');
    r = step('read-write', { GC_EXIT_FILE: exitFile });
    assert.is(r.status, 1, r.stdout);
    assert.match(r.stderr, /registry garbage-collect exited with 1/);
    assert.is(mode(), '{"readonly":{"enabled":false}}', 'read-write even when GC failed');
    r = step('read-write', { GC_EXIT_FILE: join(work, 'never-written') });
    assert.is(r.status, 1);
    assert.match(r.stderr, /garbage collection did not run/);

    // recover (the gc-recover CronJob): a gc pod that is still running keeps its read-only window;
    // once it is gone, recover switches back. A kwok pod is Running at once: it stands for a GC pod.
    const recoverEnv = JSON.parse(kubectl(['get', 'cronjob', 'pvc-creg-gc-recover', '-n', 'pvc', '-o', 'json'])).spec.jobTemplate.spec.template.spec.containers[0].env;
    const gcSelector = recoverEnv.find((e) => e.name === 'GC_POD_SELECTOR').value;
    const annotations = () => JSON.parse(kubectl(['get', 'configmap', 'pvc-creg-maintenance', '-n', 'pvc', '-o', 'json'])).metadata.annotations ?? {};
    r = step('recover', { GC_POD_SELECTOR: gcSelector });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /registry is read-write: nothing to recover/);
    kubectl(['apply', '-n', 'pvc', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata:
  name: gc-stand-in
  labels: { ${gcSelector.split(',').map((p) => p.replace('=', ': ')).join(', ')} }
spec:
  nodeSelector: { type: kwok }
  tolerations: [{ key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule }]
  containers: [{ name: gc, image: busybox }]
`);
    await waitFor('the stand-in gc pod running', () => kubectl(['get', 'pod', 'gc-stand-in', '-n', 'pvc', '-o', 'jsonpath={.status.phase}']) === 'Running');
    r = step('read-only', { POD_NAME: 'gc-stand-in' });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.is(annotations()['creg-chart/read-only-by'], 'gc-stand-in');
    assert.match(annotations()['creg-chart/read-only-since'], /^\d{4}-\d\d-\d\dT/);
    const readOnlyPods = podNames();
    r = step('recover', { GC_POD_SELECTOR: gcSelector });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /for garbage collection pod gc-stand-in, which is still running: leaving it/);
    assert.is(mode(), '{"readonly":{"enabled":true}}');
    assert.equal(podNames(), readOnlyPods, 'no restart while the collection runs');
    kubectl(['delete', 'pod', 'gc-stand-in', '-n', 'pvc', '--grace-period=0', '--force', '--wait=true']);
    r = step('recover', { GC_POD_SELECTOR: gcSelector });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /garbage collection pod gc-stand-in is gone or has ended without switching back: switching to read-write/);
    assert.is(mode(), '{"readonly":{"enabled":false}}');
    assert.not.ok('creg-chart/read-only-by' in annotations(), 'read-write clears the record');
    assert.ok(podNames().every((n) => !readOnlyPods.includes(n)), 'the registry pods restarted into read-write');
  });

  for (const hh of HELMS) {
    test(`[${hh.label}] pvc: an existing ReadWriteOnce claim with registry.replicas=2 fails the install with the preflight's reason, nothing created`, async () => {
      const ns = `rwo-${hh.label}`;
      kubectl(['create', 'namespace', ns]);
      kubectl(['apply', '-f', '-'], pv(`pv-rwo-${hh.label}`, 'ReadWriteOnce', `one-${hh.label}`));
      kubectl(['apply', '-n', ns, '-f', '-'], `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: registry-data }
spec: { accessModes: [ReadWriteOnce], storageClassName: one-${hh.label}, resources: { requests: { storage: 1Gi } } }
`);
      await waitFor('claim bound', () => kubectl(['get', 'pvc', 'registry-data', '-n', ns, '-o', 'jsonpath={.status.phase}']) === 'Bound');
      const r = helm(['install', 'rwo', chart, '-n', ns, '--set', 'storage.kind=pvc,storage.pvc.existingClaim=registry-data,registry.replicas=2'], hh);
      assert.is.not(r.code, 0, r.out);
      assert.match(r.err, /preflight: storage\.pvc\.existingClaim registry-data has access modes \[ReadWriteOnce\], without ReadWriteMany: only one node can mount it, so with registry\.replicas=2 the other pods could never start on another node\./);
      assert.match(r.err, /Set registry\.replicas=1, or use a ReadWriteMany claim\./);
      assert.is(kubectl(['get', 'all,configmaps,secrets', '-n', ns, '-l', 'app.kubernetes.io/instance=rwo', '-o', 'name']).trim(), '', 'nothing created');
      const one = helm(['install', 'rwo', chart, '-n', ns, '--set', 'storage.kind=pvc,storage.pvc.existingClaim=registry-data,registry.replicas=1', '--dry-run=server'], hh);
      assert.is(one.code, 0, one.err);
    });
  }

  test('nfsVolume: accepted by the API server; pods on labelled nodes with the nfs volume, no mount DaemonSet', async () => {
    kubectl(['create', 'namespace', 'nfs']);
    const r = helm(['install', 'nfs', chart, '-n', 'nfs', '--set', 'storage.kind=nfsVolume,nas.server=10.0.0.2,nas.path=/exports/registry,gc.enabled=true']);
    assert.is(r.code, 0, r.err);
    const pod = await waitFor('registry pod Running', () => {
      const items = JSON.parse(kubectl(['get', 'pods', '-n', 'nfs', '-l', 'app.kubernetes.io/component=registry', '-o', 'json'])).items;
      return items.find((p) => p.status.phase === 'Running');
    });
    assert.equal(pod.spec.volumes.find((v) => v.name === 'data').nfs, { server: '10.0.0.2', path: '/exports/registry' });
    assert.match(pod.spec.nodeName, /^node-reg-/);
    assert.is(kubectl(['get', 'daemonsets', '-n', 'nfs', '-o', 'name']).trim(), 'daemonset.apps/nfs-creg-node-trust');
  });

  test('metrics: a ServiceMonitor asked for on a cluster without monitoring.coreos.com/v1 fails the install with the reason', () => {
    const r = helm(['install', 'mon', chart, '-n', 'default', '--dry-run=server', '--set', 'metrics.enabled=true,metrics.serviceMonitor.enabled=true']);
    assert.is.not(r.code, 0);
    assert.match(r.err, /metrics\.serviceMonitor\.enabled is true but this cluster has no monitoring\.coreos\.com\/v1 API/);
  });

  test.run();
}
