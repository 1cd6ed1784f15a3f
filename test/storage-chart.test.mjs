// storage.kind, gc, metrics and the availability settings as the real helm 4
// and helm 3 render them (the real registry, store and cluster tests are
// test/storage-real.test.mjs and test/storage-cluster.test.mjs), plus the
// schema's messages for them through creg-chart's own validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, ROOT, buildChart, find, helmTemplate, runHelm, tempDir, validateObject } from './helpers/chart.mjs';
import { resolveValues } from '../dist/values/index.js';

const work = tempDir('creg-storage-chart-');
let chartDir;

test.before(async () => {
  ({ chartDir } = await buildChart({ outputDir: join(work, 'out') }));
});
test.after(() => rmSync(work, { recursive: true, force: true }));

const podSpecOf = (objects) => (objects.find((o) => o.kind === 'ReplicationController' || o.kind === 'Deployment')).spec.template.spec;
const registryOf = (objects) => podSpecOf(objects).containers.find((c) => c.name === 'registry');
const envOf = (c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));

function problemsOf(set) {
  try {
    resolveValues({ set });
  } catch (err) {
    assert.is(err.name, 'ValidationError', err.stack);
    return err.problems.join('\n');
  }
  assert.unreachable(`accepted: ${set.join(' ')}`);
}

for (const h of HELMS) {
  const V = `[${h.label}]`;
  const render = (set = [], extra = []) => helmTemplate(h.bin, chartDir, [...(set.length ? ['--set', set.join(',')] : []), ...extra], 'reg', 'registry');
  const fails = (set, extra = []) => {
    const r = runHelm(h.bin, ['template', 'reg', chartDir, '-n', 'registry', '--set', set.join(','), ...extra]);
    assert.is.not(r.status, 0, `helm template --set ${set.join(',')} was accepted`);
    return r.stderr;
  };

  test(`${V} nasMount (default): mount DaemonSet, nas-guard, hostPath, node label; no PVC, CronJob, PDB, monitor`, () => {
    const objects = render();
    objects.forEach(validateObject);
    const spec = podSpecOf(objects);
    assert.ok(objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'reg-creg-nas-mount'));
    assert.equal(spec.nodeSelector, { node: 'registry' });
    assert.ok(spec.initContainers.some((c) => c.name === 'nas-guard'));
    assert.equal(spec.volumes.find((v) => v.name === 'data').hostPath, { path: '/eyoh-creg/registry', type: 'Directory' });
    assert.not.ok(envOf(registryOf(objects)).REGISTRY_STORAGE, 'filesystem from the image config');
    for (const kind of ['PersistentVolumeClaim', 'CronJob', 'PodDisruptionBudget', 'ServiceMonitor', 'PodMonitor']) {
      assert.not.ok(objects.some((o) => o.kind === kind), `${kind} rendered by default`);
    }
    // today's strict security defaults
    assert.equal(spec.securityContext, { runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(registryOf(objects).securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test(`${V} nfsVolume: the pod mounts nas.server:nas.path itself (sub-path registry), no DaemonSet, no guard, no hostPath`, () => {
    const objects = render(['storage.kind=nfsVolume', 'nas.server=nas-b.example.internal', 'nas.path=/exports/reg']);
    objects.forEach(validateObject);
    const spec = podSpecOf(objects);
    assert.equal(spec.volumes.find((v) => v.name === 'data'), { name: 'data', nfs: { server: 'nas-b.example.internal', path: '/exports/reg' } });
    assert.equal(registryOf(objects).volumeMounts.find((m) => m.name === 'data'), { name: 'data', mountPath: '/var/lib/registry', subPath: 'registry' });
    assert.not.ok(objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-nas-mount')));
    assert.not.ok(spec.initContainers.some((c) => c.name === 'nas-guard'));
    assert.not.ok(spec.volumes.some((v) => v.hostPath));
    assert.equal(spec.nodeSelector, { node: 'registry' }, 'labelled nodes (they have the NFS client)');
  });

  test(`${V} pvc: the chart's claim (kept on uninstall) or an existing one; any node`, () => {
    let objects = render(['storage.kind=pvc', 'storage.pvc.storageClassName=nfs-client', 'storage.pvc.size=50Gi']);
    objects.forEach(validateObject);
    const pvc = find(objects, 'PersistentVolumeClaim');
    assert.is(pvc.metadata.name, 'reg-creg-data');
    assert.is(pvc.metadata.annotations['helm.sh/resource-policy'], 'keep');
    assert.equal(pvc.spec, { accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '50Gi' } } });
    assert.equal(podSpecOf(objects).volumes.find((v) => v.name === 'data').persistentVolumeClaim, { claimName: 'reg-creg-data' });
    assert.not.ok(podSpecOf(objects).nodeSelector);
    objects = render(['storage.kind=pvc', 'storage.pvc.existingClaim=registry-data', 'storage.pvc.subPath=images', 'registry.replicas=2']);
    assert.not.ok(objects.some((o) => o.kind === 'PersistentVolumeClaim'));
    assert.equal(podSpecOf(objects).volumes.find((v) => v.name === 'data').persistentVolumeClaim, { claimName: 'registry-data' });
    assert.is(registryOf(objects).volumeMounts.find((m) => m.name === 'data').subPath, 'images');
  });

  test(`${V} pvc ReadWriteOnce with replicas > 1 is refused by the chart's schema`, () => {
    const err = fails(['storage.kind=pvc', 'storage.pvc.accessModes={ReadWriteOnce}', 'registry.replicas=2']);
    assert.match(err, /replicas/);
    render(['storage.kind=pvc', 'storage.pvc.accessModes={ReadWriteOnce}', 'registry.replicas=1']);
  });

  test(`${V} s3 without a bucket, or with keys in values, is refused`, () => {
    assert.match(fails(['storage.kind=s3']), /bucket/);
    assert.match(fails(['storage.kind=s3', 'storage.s3.bucket=images', 'storage.s3.accessKey=AKIA0000']), /accessKey/);
  });

  test(`${V} s3 with the pod's identity: no key env at all`, () => {
    const env = envOf(registryOf(render(['storage.kind=s3', 'storage.s3.bucket=images'])));
    assert.not.ok(env.REGISTRY_STORAGE_S3_ACCESSKEY || env.REGISTRY_STORAGE_S3_SECRETKEY);
    assert.is(env.REGISTRY_STORAGE_S3_SECURE.value, 'true');
  });

  for (const kind of ['nasMount', 'nfsVolume', 'pvc', 's3']) {
    test(`${V} gc.enabled with ${kind}: CronJob read-only -> garbage-collect (same storage) -> read-write; RBAC; maintenance ConfigMap`, () => {
      const set = ['gc.enabled=true', 'gc.deleteUntagged=true', `storage.kind=${kind}`, 'storage.s3.bucket=images', 'storage.s3.existingSecret=s3'];
      const objects = render(set);
      objects.filter((o) => o.kind !== 'ServiceMonitor').forEach(validateObject);
      const cron = find(objects, 'CronJob', 'reg-creg-gc');
      assert.is(cron.spec.concurrencyPolicy, 'Forbid');
      const spec = cron.spec.jobTemplate.spec.template.spec;
      const names = spec.initContainers.map((c) => c.name);
      assert.equal(names, kind === 'nasMount' ? ['nas-guard', 'read-only', 'garbage-collect'] : ['read-only', 'garbage-collect']);
      assert.equal(spec.containers.map((c) => [c.name, c.command.join(' ')]), [['read-write', 'node /signer/signer.js maintenance read-write']]);
      const gc = spec.initContainers.find((c) => c.name === 'garbage-collect');
      assert.equal(gc.args.slice(1), ['garbage-collect', '--delete-untagged']);
      assert.match(gc.args[0], /registry garbage-collect "\$REGISTRY_CONFIG" "\$@"/);
      // the same storage as the registry: storage env and the data volume/mount
      const reg = registryOf(objects);
      const storageEnv = (c) => (c.env ?? []).filter((e) => e.name.startsWith('REGISTRY_STORAGE') && e.name !== 'REGISTRY_STORAGE_MAINTENANCE' && e.name !== 'REGISTRY_STORAGE_DELETE_ENABLED');
      assert.equal(storageEnv(gc), storageEnv(reg));
      assert.equal((gc.volumeMounts ?? []).filter((m) => m.name === 'data'), reg.volumeMounts.filter((m) => m.name === 'data'));
      assert.equal(spec.volumes.filter((v) => v.name === 'data'), podSpecOf(objects).volumes.filter((v) => v.name === 'data'));
      if (kind === 'nasMount' || kind === 'nfsVolume') assert.equal(spec.nodeSelector, { node: 'registry' });
      else assert.not.ok(spec.nodeSelector);
      if (kind === 'pvc') assert.ok(spec.affinity.podAffinity, 'next to a registry pod (ReadWriteOnce claims)');
      // the registry reads its mode from the ConfigMap, read-write as rendered
      const cm = find(objects, 'ConfigMap', 'reg-creg-maintenance');
      assert.equal(JSON.parse(cm.data.REGISTRY_STORAGE_MAINTENANCE), { readonly: { enabled: false } });
      assert.equal(envOf(reg).REGISTRY_STORAGE_MAINTENANCE.valueFrom, { configMapKeyRef: { name: 'reg-creg-maintenance', key: 'REGISTRY_STORAGE_MAINTENANCE' } });
      const role = find(objects, 'Role', 'reg-creg-gc');
      assert.equal(role.rules.map((r) => [r.resources[0], r.verbs.join(','), (r.resourceNames ?? []).join(',')]), [
        ['configmaps', 'get,update', 'reg-creg-maintenance'],
        ['replicationcontrollers', 'get', 'reg-creg'],
        ['pods', 'list,delete', ''],
      ]);
      assert.is(spec.serviceAccountName, 'reg-creg-gc');
      // read-only records its pod, for gc-recover
      assert.equal(spec.initContainers.find((c) => c.name === 'read-only').env.find((e) => e.name === 'POD_NAME').valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
      // gc-recover: the same ServiceAccount and maintenance settings, only the API (no storage, any node)
      const recover = find(objects, 'CronJob', 'reg-creg-gc-recover');
      assert.is(recover.spec.schedule, '*/10 * * * *');
      assert.is(recover.spec.concurrencyPolicy, 'Forbid');
      const rspec = recover.spec.jobTemplate.spec.template.spec;
      assert.is(rspec.serviceAccountName, 'reg-creg-gc');
      assert.equal(rspec.containers.map((c) => [c.name, c.command.join(' ')]), [['recover', 'node /signer/signer.js maintenance recover']]);
      const renv = envOf(rspec.containers[0]);
      assert.is(renv.GC_POD_SELECTOR.value, 'app.kubernetes.io/name=creg,app.kubernetes.io/instance=reg,app.kubernetes.io/component=gc');
      const gcLabels = cron.spec.jobTemplate.spec.template.metadata.labels;
      for (const pair of renv.GC_POD_SELECTOR.value.split(',')) assert.is(gcLabels[pair.split('=')[0]], pair.split('=')[1], `the gc pods carry ${pair}`);
      for (const name of ['MAINTENANCE_CONFIGMAP', 'WORKLOAD_KIND', 'WORKLOAD_NAME', 'POD_SELECTOR']) assert.is(renv[name].value, envOf(spec.containers[0])[name].value, name);
      assert.equal(rspec.volumes.map((v) => v.name), ['signer']);
      assert.not.ok(rspec.nodeSelector);
    });
  }

  test(`${V} gc.recoverSchedule empty: no gc-recover CronJob; gc off: neither`, () => {
    assert.equal(render(['gc.enabled=true', 'gc.recoverSchedule=']).filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name), ['reg-creg-gc']);
    assert.equal(render([]).filter((o) => o.kind === 'CronJob'), []);
  });

  test(`${V} registry 3.x image: garbage-collect reads /etc/distribution/config.yml; 2.x: /etc/docker/registry/config.yml`, () => {
    const cfg = (tag) => {
      const cron = find(render(['gc.enabled=true', `registry.image.tag=${tag}`]), 'CronJob', 'reg-creg-gc');
      return envOf(cron.spec.jobTemplate.spec.template.spec.initContainers.find((c) => c.name === 'garbage-collect')).REGISTRY_CONFIG.value;
    };
    assert.is(cfg('3.1.2'), '/etc/distribution/config.yml');
    assert.is(cfg('2.8.3'), '/etc/docker/registry/config.yml');
  });

  test(`${V} metrics: named port, debug server env; ServiceMonitor/PodMonitor only with monitoring.coreos.com/v1`, () => {
    let objects = render(['metrics.enabled=true']);
    const reg = registryOf(objects);
    assert.equal(reg.ports.find((p) => p.name === 'metrics'), { name: 'metrics', containerPort: 5001, protocol: 'TCP' });
    assert.is(envOf(reg).REGISTRY_HTTP_DEBUG_ADDR.value, ':5001');
    assert.is(envOf(reg).REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED.value, 'true');
    assert.is(find(objects, 'Service').spec.ports.length, 1, 'the registry Service has only https');
    const err = fails(['metrics.enabled=true', 'metrics.serviceMonitor.enabled=true']);
    assert.match(err, /metrics\.serviceMonitor\.enabled is true but this cluster has no monitoring\.coreos\.com\/v1 API/);
    assert.match(err, /--api-versions monitoring\.coreos\.com\/v1/);
    objects = render(['metrics.enabled=true', 'metrics.serviceMonitor.enabled=true', 'metrics.podMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prom'], ['--api-versions', 'monitoring.coreos.com/v1']);
    const sm = find(objects, 'ServiceMonitor');
    assert.is(sm.metadata.labels.release, 'prom');
    assert.equal(sm.spec.endpoints[0].port, 'metrics');
    const msvc = find(objects, 'Service', 'reg-creg-metrics');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.is(msvc.metadata.labels[k], v, `ServiceMonitor selects the metrics Service (${k})`);
    assert.is(msvc.spec.ports[0].targetPort, 'metrics');
    assert.not.ok(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => find(objects, 'Service', 'registry-svc').metadata.labels[k] === v), 'not the registry Service');
    assert.equal(find(objects, 'PodMonitor').spec.podMetricsEndpoints[0].port, 'metrics');
    assert.match(fails(['metrics.enabled=true', 'metrics.port=5000']), /metrics\.port and registry\.port are both 5000/);
  });

  test(`${V} PodDisruptionBudget: none for one replica, minAvailable 1 for two; refused when it could block drains`, () => {
    assert.not.ok(render(['registry.replicas=1']).some((o) => o.kind === 'PodDisruptionBudget'));
    const pdb = find(render(['registry.replicas=2']), 'PodDisruptionBudget');
    validateObject(pdb);
    assert.is(pdb.spec.minAvailable, 1);
    assert.equal(pdb.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'creg', 'app.kubernetes.io/instance': 'reg', 'app.kubernetes.io/component': 'registry' });
    assert.not.ok(render(['registry.replicas=2', 'podDisruptionBudget.enabled=false']).some((o) => o.kind === 'PodDisruptionBudget'));
    assert.match(fails(['registry.replicas=2', 'podDisruptionBudget.minAvailable=2']), /node drains would hang/);
  });

  // Helm 3 needs a reachable cluster even for `install --dry-run=client`.
  if (h.label === 'helm4') test(`${V} NOTES.txt speaks of the chosen storage only`, () => {
    const notes = (set) => {
      const r = runHelm(h.bin, ['install', 'reg', chartDir, '-n', 'registry', '--dry-run=client', '--set', set.join(',')]);
      assert.is(r.status, 0, r.stderr);
      return r.stdout.slice(r.stdout.indexOf('NOTES:'));
    };
    const s3 = notes(['storage.kind=s3', 'storage.s3.bucket=images', 'storage.s3.existingSecret=registry-s3', 'gc.enabled=true', 'registry.replicas=2']);
    assert.match(s3, 'images in the S3 bucket images.');
    assert.match(s3, 'Keys: Secret registry-s3 (must exist in registry).');
    assert.match(s3, 'kubectl -n registry create job --from=cronjob/reg-creg-gc gc-now');
    assert.not.match(s3, /nas-mount|NFS|sessionAffinity/);
    const pvc = notes(['storage.kind=pvc']);
    assert.match(pvc, 'kubectl -n registry get pvc reg-creg-data      # STATUS Bound');
    assert.not.match(pvc, /nas-mount/);
    const nfs = notes(['storage.kind=nfsVolume']);
    assert.match(nfs, 'images on 172.27.128.2:/nas (nfs volume mounted by the kubelet) on nodes labelled node=registry.');
    assert.not.match(nfs, /nas-mount/);
  });

  test(`${V} availability and pod settings from a values file reach the registry pod`, () => {
    const values = join(work, `avail-${h.label}.yaml`);
    writeFileSync(values, `
registry:
  kind: Deployment
  replicas: 3
  priorityClassName: registry-critical
  podAnnotations: { prometheus.io/scrape: "true" }
  podLabels: { team: platform, app.kubernetes.io/component: hijack }
  podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 }
  securityContext: { readOnlyRootFilesystem: true }
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector: { matchLabels: { app.kubernetes.io/component: registry } }
  topologySpreadConstraints:
    - { maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway }
  extraEnv:
    - { name: REGISTRY_LOG_LEVEL, value: info }
    - name: REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS
      valueFrom: { secretKeyRef: { name: hooks, key: headers } }
    - name: POD_NAME
      valueFrom: { fieldRef: { fieldPath: metadata.name } }
  extraVolumes:
    - { name: extra-ca, configMap: { name: corp-ca } }
  extraVolumeMounts:
    - { name: extra-ca, mountPath: /etc/ssl/corp, readOnly: true }
`);
    const objects = helmTemplate(h.bin, chartDir, ['-f', values], 'reg', 'registry');
    objects.filter((o) => o.kind !== 'ServiceMonitor').forEach(validateObject);
    const dep = find(objects, 'Deployment');
    const tpl = dep.spec.template;
    const spec = tpl.spec;
    assert.is(tpl.metadata.labels.team, 'platform');
    assert.is(tpl.metadata.labels['app.kubernetes.io/component'], 'registry', 'the selector label wins');
    assert.is(tpl.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.ok(tpl.metadata.annotations['creg-chart/values-hash']);
    assert.is(spec.priorityClassName, 'registry-critical');
    // Merged over the chart's non-root defaults (registry.runAsGroup stays).
    assert.equal(spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 10001, fsGroup: 1000 });
    const reg = spec.containers.find((c) => c.name === 'registry');
    assert.equal(reg.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
    assert.ok(spec.affinity.podAntiAffinity);
    assert.equal(spec.topologySpreadConstraints[0].labelSelector, { matchLabels: dep.spec.selector.matchLabels }, 'labelSelector defaults to the registry pods');
    const env = envOf(reg);
    assert.is(env.REGISTRY_LOG_LEVEL.value, 'info');
    assert.equal(env.REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS.valueFrom, { secretKeyRef: { name: 'hooks', key: 'headers' } });
    assert.equal(env.POD_NAME.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.equal(spec.volumes.at(-1), { name: 'extra-ca', configMap: { name: 'corp-ca' } });
    assert.equal(reg.volumeMounts.at(-1), { name: 'extra-ca', mountPath: '/etc/ssl/corp', readOnly: true });
    assert.is(find(objects, 'PodDisruptionBudget').spec.minAvailable, 1);
  });
}

// ---------------------------------------------------------------- init

test('creg-chart init writes the commented storage choice (nasMount selected, the other three explained)', async () => {
  const { spawnSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const file = join(work, 'init.yaml');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'creg-chart.js'), 'init', file], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'Choose storage.kind (nasMount, nfsVolume, pvc or s3');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^storage:\n  # -- nasMount, nfsVolume, pvc or s3 \(see the README, "Storage"\)\.\n  kind: nasMount$/m);
  for (const kind of ['nasMount', 'nfsVolume', 'pvc', 's3']) assert.match(text, new RegExp(`^#   ${kind} `, 'm'));
  assert.not.match(text, /accessKey:|secretKey:/, 'no credential fields to fill in');
});

// ---------------------------------------------------------------- messages

test('schema messages: ReadWriteOnce with replicas > 1 gives the reason', () => {
  const p = problemsOf(['storage.kind=pvc', 'storage.pvc.accessModes={ReadWriteOnce}', 'registry.replicas=3']);
  assert.match(p, /--set registry\.replicas=3: registry\.replicas: expected a whole number <= 1, got the integer 3\. storage\.pvc\.accessModes has no ReadWriteMany, so only one node can mount the claim/);
});

test('schema messages: s3 bucket missing, keys in values, bad endpoint', () => {
  assert.match(problemsOf(['storage.kind=s3']), /storage\.s3\.bucket: .*storage\.kind is s3, so storage\.s3\.bucket must name the bucket\./);
  assert.match(problemsOf(['storage.kind=s3', 'storage.s3.bucket=images', 'storage.s3.secretKey=x']), /storage\.s3\.secretKey: unknown key; S3 credentials never go into values .*set storage\.s3\.existingSecret, or leave it empty to use the pod's identity\./);
  assert.match(problemsOf(['storage.s3.regionEndpoint=minio:9000']), /storage\.s3\.regionEndpoint: expected endpoint URL of a non-AWS store, `http\(s\):\/\/host\[:port\]`/);
  assert.match(problemsOf(['storage.kind=ceph']), /storage\.kind: expected one of "nasMount", "nfsVolume", "pvc", "s3", got the string "ceph"\./);
});

test('schema messages: extraEnv with value and valueFrom, or two sources', () => {
  assert.match(problemsOf(['registry.extraEnv[0].name=A', 'registry.extraEnv[0].value=x', 'registry.extraEnv[0].valueFrom.fieldRef.fieldPath=metadata.name']), /registry\.extraEnv\[0\]: give value or valueFrom, not both; got a map\./);
  assert.match(problemsOf(['registry.extraEnv[0].name=A', 'registry.extraEnv[0].valueFrom.fieldRef.fieldPath=metadata.name', 'registry.extraEnv[0].valueFrom.secretKeyRef.name=s', 'registry.extraEnv[0].valueFrom.secretKeyRef.key=k']), /registry\.extraEnv\[0\]\.valueFrom: expected where the value comes from: exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef, got a map with 2 key\(s\): fieldRef, secretKeyRef\./);
  assert.match(problemsOf(['registry.extraVolumes[0].name=data', 'registry.extraVolumes[0].emptyDir.medium=Memory']), /registry\.extraVolumes\[0\]\.name: a volume name other than the chart's own \(data, certs, tls-secret, signer\)/);
});



test.run();
