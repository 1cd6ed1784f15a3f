// The chart (chart-templates/) rendered by the real Helm 4 and Helm 3
// binaries: lint, render, Kubernetes schema validation of every object, the
// contract of docs/architecture.md, and values.schema.json enforcement.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HELMS, buildChart, find, helmTemplate, runHelm, tempDir, validateObject, parseManifests,
} from './helpers/chart.mjs';

const RELEASE = 'eyoh';
const NS = 'registry';
const FULL = 'eyoh-creg'; // release + chart name (the build names the chart "creg")

const outDir = tempDir('creg-chart-chart-test-');
let built;
let buildError;
try {
  built = await buildChart({ outputDir: outDir });
} catch (e) {
  buildError = e;
}

test('chart builds with the real build pipeline (validate, render, lint --strict, package)', () => {
  if (buildError) throw buildError;
  assert.ok(built.chartDir);
  const chartYaml = readFileSync(join(built.chartDir, 'Chart.yaml'), 'utf8');
  assert.match(chartYaml, /^apiVersion: v2$/m);
  assert.match(chartYaml, /^kubeVersion: ">=1\.24\.0-0"$/m);
  assert.match(chartYaml, /^appVersion: "3\.1\.2"$/m);
  assert.not.match(chartYaml, /\{\{|\}\}/, 'no unrendered template text in Chart.yaml');
});

const render = (h, args = []) => helmTemplate(h.bin, built.chartDir, args, RELEASE, NS);
const podSpecOf = (o) => o.spec.template.spec;
const envOf = (c) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
const failoverTolerations = (seconds) => ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']
  .map((key) => ({ effect: 'NoExecute', key, operator: 'Exists', tolerationSeconds: seconds }));
const registryPod = (objs) => podSpecOf(objs.find((o) => o.kind === 'ReplicationController' || o.kind === 'Deployment'));

// PEM private key blocks (the literal words "PRIVATE KEY" alone may occur in
// the real signer bundle, whose PEM parser names the block types it accepts).
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

for (const h of HELMS) {
  const V = `[${h.label} ${h.version}]`;

  test(`${V} helm lint --strict passes (directory and packaged .tgz)`, () => {
    for (const target of [built.chartDir, built.tgzPath]) {
      const r = runHelm(h.bin, ['lint', '--strict', target]);
      assert.is(r.status, 0, `${target}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test(`${V} defaults: every object is a valid Kubernetes object, names per the contract`, () => {
    const objs = render(h);
    for (const o of objs) {
      try {
        validateObject(o);
      } catch (e) {
        throw new Error(`${o.kind} ${o.metadata?.name}: ${e.message}`);
      }
      assert.is(o.metadata.namespace, NS, `${o.kind} namespace`);
    }
    // The objects of docs/architecture.md "Chart objects", once each (other
    // objects, e.g. the node trust DaemonSet, are tested elsewhere).
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    const mine = [
      'ConfigMap/eyoh-creg-signer',
      'DaemonSet/eyoh-creg-nas-mount',
      'Job/eyoh-creg-signer',
      'ReplicationController/eyoh-creg',
      'Role/eyoh-creg-signer',
      'RoleBinding/eyoh-creg-signer',
      'Secret/eyoh-creg-http-secret',
      'Service/registry-svc',
      'ServiceAccount/eyoh-creg-signer',
    ];
    for (const n of mine) assert.is(names.filter((x) => x === n).length, 1, n);
    assert.is(new Set(names).size, names.length, 'no duplicate objects');
  });

  test(`${V} defaults: mount DaemonSet (node label, host namespaces, NAS env, constant script)`, () => {
    const objs = render(h);
    const ds = find(objs, 'DaemonSet', `${FULL}-nas-mount`);
    const pod = podSpecOf(ds);
    assert.equal(pod.nodeSelector, { node: 'registry' });
    assert.is(pod.hostPID, true);
    assert.is(pod.hostNetwork, true);
    const c = pod.containers[0];
    assert.is(c.securityContext.privileged, true);
    assert.equal(c.command, ['sh', '-c']);
    assert.is(c.lifecycle, undefined, 'no preStop hook (never unmount)');
    const env = envOf(c);
    assert.is(env.NAS_SERVER, '172.27.128.2');
    assert.is(env.NAS_PATH, '/nas');
    assert.is(env.NAS_MOUNT_PATH, '/eyoh-creg');
    assert.is(env.NAS_MOUNT_OPTIONS, 'nfsvers=4.1,hard,timeo=600,retrans=2,nosuid,nodev,noexec');
    assert.is(env.CHECK_INTERVAL_SECONDS, '30');
    const script = c.args[0];
    assert.match(script, /nsenter/);
    assert.match(script, /"\$NSENTER" -t 1 -m --/);
    assert.not.match(script, /umount/, 'the script never unmounts');
    // The script text does not depend on the values: nothing is interpolated.
    const other = find(render(h, [
      '--set', 'nas.server=nas.example.org', '--set', 'nas.path=/other', '--set', 'nas.mountPath=/mnt/x',
      '--set', 'nas.mountOptions={vers=3}', '--set', 'nas.mounter.checkIntervalSeconds=7',
    ]), 'DaemonSet', `${FULL}-nas-mount`);
    const c2 = podSpecOf(other).containers[0];
    assert.is(c2.args[0], script);
    assert.is(envOf(c2).NAS_SERVER, 'nas.example.org');
    assert.is(envOf(c2).NAS_MOUNT_OPTIONS, 'vers=3,nosuid,nodev', 'nosuid,nodev always added');
    assert.is(envOf(c2).CHECK_INTERVAL_SECONDS, '7');
    assert.is(podSpecOf(find(render(h, ['--set', 'nas.mountOptions=null']), 'DaemonSet', `${FULL}-nas-mount`)).containers[0].env
      .find((e) => e.name === 'NAS_MOUNT_OPTIONS').value, 'nosuid,nodev', 'even with no options set');
  });

  test(`${V} defaults: ReplicationController registry pod per the contract`, () => {
    const objs = render(h);
    assert.is(objs.filter((o) => o.kind === 'Deployment').length, 0, 'no Deployment with kind=ReplicationController');
    const rc = find(objs, 'ReplicationController', FULL);
    const sel = { 'app.kubernetes.io/name': 'creg', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': 'registry' };
    assert.is(rc.spec.replicas, 1);
    assert.equal(rc.spec.selector, sel);
    assert.equal(rc.spec.template.metadata.labels, sel);
    assert.match(rc.spec.template.metadata.annotations['creg-chart/values-hash'], /^[0-9a-f]{16}$/);
    const pod = podSpecOf(rc);
    assert.equal(pod.nodeSelector, { node: 'registry' });

    const data = pod.volumes.find((v) => v.name === 'data');
    assert.equal(data.hostPath, { path: '/eyoh-creg/registry', type: 'Directory' });
    const certs = pod.volumes.find((v) => v.name === 'certs');
    assert.is(certs.emptyDir.medium, 'Memory');
    const tls = pod.volumes.find((v) => v.name === 'tls-secret');
    assert.is(tls.secret.secretName, `${FULL}-tls`);
    assert.is(tls.secret.optional, true);
    assert.is(pod.volumes.find((v) => v.name === 'signer').configMap.name, `${FULL}-signer`);

    assert.equal(pod.initContainers.map((c) => c.name), ['nas-guard', 'tls-setup']);
    const guard = pod.initContainers[0];
    assert.is(guard.volumeMounts.find((m) => m.name === 'data').mountPath, '/var/lib/registry');
    const tlsSetup = pod.initContainers[1];
    assert.equal(tlsSetup.command, ['node', '/signer/signer.js', 'prepare-tls', '--from', '/tls-secret', '--to', '/certs']);
    assert.is(tlsSetup.image, 'node:24-alpine');

    const reg = pod.containers.find((c) => c.name === 'registry');
    assert.is(reg.image, 'registry:3.1.2');
    assert.equal(reg.ports, [{ name: 'https', containerPort: 5000, protocol: 'TCP' }]);
    const env = envOf(reg);
    assert.is(env.REGISTRY_HTTP_ADDR, '0.0.0.0:5000');
    assert.is(env.REGISTRY_HTTP_TLS_CERTIFICATE, '/certs/tls.crt');
    assert.is(env.REGISTRY_HTTP_TLS_KEY, '/certs/tls.key');
    assert.equal(env.REGISTRY_HTTP_SECRET, { secretKeyRef: { name: `${FULL}-http-secret`, key: 'REGISTRY_HTTP_SECRET' } });
    assert.is(env.REGISTRY_STORAGE_DELETE_ENABLED, 'true');
    assert.equal(reg.volumeMounts.map((m) => m.mountPath).sort(), ['/certs', '/tmp', '/var/lib/registry']);
    // Readiness asks HTTPS; liveness only that the port accepts (a slow NAS must not restart pods).
    assert.equal(reg.readinessProbe.httpGet, { scheme: 'HTTPS', path: '/', port: 'https' });
    assert.equal(reg.livenessProbe.tcpSocket, { port: 'https' });
    assert.is(reg.livenessProbe.httpGet, undefined);
    // Non-root everywhere in the pod, as the owner of the data directory; read-only root.
    assert.equal(pod.securityContext, { runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      assert.is(c.securityContext.readOnlyRootFilesystem, true, c.name);
      assert.is(c.securityContext.runAsUser, undefined, `${c.name} inherits the pod's user`);
    }
    assert.is(tls.secret.defaultMode, 0o440, 'group fsGroup may read the key');
  });

  test(`${V} defaults: Service, http Secret, ConfigMap`, () => {
    const objs = render(h);
    const svc = find(objs, 'Service', 'registry-svc');
    assert.is(svc.spec.type, 'ClusterIP');
    assert.is(svc.spec.clusterIP, undefined);
    assert.is(svc.spec.sessionAffinity, 'None');
    assert.equal(svc.spec.ports, [{ name: 'https', protocol: 'TCP', port: 5000, targetPort: 'https' }]);
    assert.equal(svc.spec.selector, find(objs, 'ReplicationController').spec.selector);

    const secret = find(objs, 'Secret', `${FULL}-http-secret`);
    const value = Buffer.from(secret.data.REGISTRY_HTTP_SECRET, 'base64').toString();
    assert.match(value, /^[A-Za-z0-9]{32}$/);
    assert.is(secret.metadata.annotations?.['helm.sh/resource-policy'], undefined);

    const cm = find(objs, 'ConfigMap', `${FULL}-signer`);
    assert.equal(Object.keys(cm.data), ['signer.js']);
    // Exactly the bundled file, byte for byte.
    assert.is(cm.data['signer.js'], readFileSync(join(built.chartDir, 'files', 'signer.js'), 'utf8'));
    assert.not.match(cm.data['signer.js'], PEM_PRIVATE_KEY);
    for (const o of objs) assert.not.match(JSON.stringify(o), PEM_PRIVATE_KEY, `${o.kind} holds a private key`);
  });

  test(`${V} defaults: signer hook Job`, () => {
    const job = find(render(h), 'Job', `${FULL}-signer`);
    const a = job.metadata.annotations;
    assert.is(a['helm.sh/hook'], 'post-install,post-upgrade,post-rollback');
    assert.is(a['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    assert.ok(a['helm.sh/hook-weight'] !== undefined);
    assert.is(job.spec.ttlSecondsAfterFinished, undefined, 'no ttlSecondsAfterFinished on a hook Job');
    assert.is(job.spec.activeDeadlineSeconds, 300);
    assert.ok(job.spec.backoffLimit <= 3);
    const pod = podSpecOf(job);
    assert.is(pod.restartPolicy, 'Never');
    assert.is(pod.serviceAccountName, `${FULL}-signer`);
    assert.is(pod.nodeSelector, undefined, 'runs on any node');
    const c = pod.containers[0];
    assert.is(c.image, 'node:24-alpine');
    assert.equal(c.command, ['node', '/signer/signer.js', 'in-cluster']);
    assert.equal(envOf(c), {
      POD_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      SERVICE_NAME: 'registry-svc',
      CA_STORE: `${FULL}-ca`,
      CA_SECRET_EXISTING: 'false',
      CA_CONFIGMAP: `${FULL}-ca`,
      CA_PIN_SECRET: `${FULL}-ca-pin`,
      TLS_STORE: `${FULL}-tls`,
      WORKLOAD_KIND: 'ReplicationController',
      WORKLOAD_NAME: FULL,
      POD_SELECTOR: `app.kubernetes.io/component=registry,app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=creg`,
      DNS_NAMES: '',
      CLUSTER_DOMAIN: 'cluster.local',
      CERT_VALIDITY_DAYS: '365',
      CA_VALIDITY_DAYS: '3650',
      READY_TIMEOUT_SECONDS: '280', // activeDeadlineSeconds 300 - 20: the signer's own error before DeadlineExceeded
      AUTH_MODE: 'off',
    });
    assert.is(c.volumeMounts.find((m) => m.name === 'signer').mountPath, '/signer');
    assert.is(pod.volumes.find((v) => v.name === 'signer').configMap.name, `${FULL}-signer`);
  });

  test(`${V} defaults: RBAC is exactly the contract's, ordinary (non-hook) resources`, () => {
    const objs = render(h);
    const role = find(objs, 'Role', `${FULL}-signer`);
    assert.equal(role.rules, [
      { apiGroups: [''], resources: ['services'], resourceNames: ['registry-svc'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [`${FULL}-ca`, `${FULL}-tls`, `${FULL}-ca-pin`], verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [`${FULL}-ca`], verbs: ['get', 'update', 'patch'] },
      { apiGroups: [''], resources: ['replicationcontrollers'], resourceNames: [FULL], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] },
    ]);
    const rb = find(objs, 'RoleBinding', `${FULL}-signer`);
    assert.equal(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${FULL}-signer` });
    assert.equal(rb.subjects, [{ kind: 'ServiceAccount', name: `${FULL}-signer`, namespace: NS }]);
    for (const o of [role, rb, find(objs, 'ServiceAccount', `${FULL}-signer`)]) {
      assert.is(o.metadata.annotations?.['helm.sh/hook'], undefined, `${o.kind} is not a hook`);
    }
  });

  test(`${V} --set registry.kind=Deployment: Deployment, no ReplicationController, RBAC follows`, () => {
    const objs = render(h, ['--set', 'registry.kind=Deployment']);
    objs.forEach(validateObject);
    assert.is(objs.filter((o) => o.kind === 'ReplicationController').length, 0);
    const dep = find(objs, 'Deployment', FULL);
    assert.equal(dep.spec.selector.matchLabels, find(objs, 'Service', 'registry-svc').spec.selector);
    assert.is(dep.spec.strategy.type, 'RollingUpdate');
    assert.is(dep.spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(podSpecOf(dep).nodeSelector, { node: 'registry' });
    assert.equal(podSpecOf(dep).volumes.find((v) => v.name === 'data').hostPath, { path: '/eyoh-creg/registry', type: 'Directory' });
    assert.match(dep.spec.template.metadata.annotations['creg-chart/values-hash'], /^[0-9a-f]{16}$/);
    const role = find(objs, 'Role', `${FULL}-signer`);
    assert.equal(role.rules[5], { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [FULL], verbs: ['get'] });
    assert.is(envOf(podSpecOf(find(objs, 'Job', `${FULL}-signer`)).containers[0]).WORKLOAD_KIND, 'Deployment');
  });

  test(`${V} image.digest pins every image as repository@sha256:... (tag kept as a comment)`, () => {
    const D = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const args = ['registry', 'signer', 'nas.mounter', 'nodeTrust'].flatMap((k) => ['--set', `${k}.image.digest=${D}`]);
    const objs = render(h, args);
    const images = objs.flatMap((o) => {
      const spec = o.spec?.template?.spec ?? o.spec;
      return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image);
    });
    assert.ok(images.length >= 6, images.join(' '));
    for (const image of images) assert.match(image, new RegExp(`^(registry|node|busybox)@${D}$`), image);
    const text = runHelm(h.bin, ['template', RELEASE, built.chartDir, '-n', NS, ...args]).stdout;
    assert.match(text, new RegExp(`image: "busybox@${D}" # tag 1\\.37`));
    // Without a digest: repository:tag, as before.
    for (const image of render(h).flatMap((o) => (o.spec?.template?.spec ?? o.spec)?.containers ?? []).map((c) => c.image)) assert.match(image, /^[a-z]+:[\w.-]+$/);
  });

  test(`${V} --set service.clusterIP=10.96.0.50 is honoured`, () => {
    const objs = render(h, ['--set', 'service.clusterIP=10.96.0.50']);
    objs.forEach(validateObject);
    assert.is(find(objs, 'Service', 'registry-svc').spec.clusterIP, '10.96.0.50');
  });

  test(`${V} overrides from a values file reach every pod (tolerations, pull secrets, extraEnv, port, labels)`, () => {
    const dir = tempDir();
    try {
      const f = join(dir, 'cluster-a.yaml');
      writeFileSync(f, [
        'nodeLabel: { key: example.com/role, value: registry }',
        'registry: { port: 443, replicas: 2, extraEnv: [{ name: REGISTRY_LOG_LEVEL, value: "debug: yes" }] }',
        'service: { name: creg, sessionAffinity: ClientIP }',
        'tls: { extraDnsNames: [registry.example.org, creg.internal] }',
        'nas: { requireNfsMount: false }',
        'tolerations: [{ key: dedicated, operator: Equal, value: registry, effect: NoSchedule }]',
        'imagePullSecrets: [{ name: pull }]',
        '',
      ].join('\n'));
      const objs = render(h, ['-f', f]);
      objs.forEach(validateObject);
      const rc = find(objs, 'ReplicationController');
      const pod = podSpecOf(rc);
      assert.is(rc.spec.replicas, 2);
      assert.equal(pod.nodeSelector, { 'example.com/role': 'registry' });
      assert.equal(podSpecOf(find(objs, 'DaemonSet', `${FULL}-nas-mount`)).nodeSelector, { 'example.com/role': 'registry' });
      assert.equal(pod.initContainers.map((c) => c.name), ['tls-setup'], 'no nas-guard when requireNfsMount is false');
      const reg = pod.containers[0];
      assert.is(envOf(reg).REGISTRY_HTTP_ADDR, '0.0.0.0:443');
      assert.is(envOf(reg).REGISTRY_LOG_LEVEL, 'debug: yes');
      // Port 443 as a non-root user: the namespaced sysctl, not a capability (non-root gets none).
      assert.is(reg.securityContext.capabilities.add, undefined);
      assert.equal(pod.securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '443' }]);
      const svc = find(objs, 'Service', 'creg');
      assert.is(svc.spec.ports[0].port, 443);
      assert.is(svc.spec.sessionAffinity, 'ClientIP');
      for (const o of [rc, find(objs, 'DaemonSet', `${FULL}-nas-mount`), find(objs, 'Job', `${FULL}-signer`)]) {
        const p = podSpecOf(o);
        const own = [{ key: 'dedicated', operator: 'Equal', value: 'registry', effect: 'NoSchedule' }];
        // The registry pods also get registry.failover.tolerationSeconds (default 30).
        assert.equal(p.tolerations, o === rc ? [...own, ...failoverTolerations(30)] : own, o.kind);
        assert.equal(p.imagePullSecrets, [{ name: 'pull' }], o.kind);
      }
      const job = envOf(podSpecOf(find(objs, 'Job', `${FULL}-signer`)).containers[0]);
      assert.is(job.SERVICE_NAME, 'creg');
      assert.is(job.DNS_NAMES, 'registry.example.org,creg.internal');
      assert.equal(find(objs, 'Role', `${FULL}-signer`).rules[0].resourceNames, ['creg']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${V} registry.failover.tolerationSeconds: not-ready/unreachable tolerations on the registry pods only`, () => {
    const tol = (args) => registryPod(render(h, args)).tolerations;
    assert.equal(tol([]), failoverTolerations(30), 'default 30 s');
    assert.equal(tol(['--set', 'registry.failover.tolerationSeconds=0']), failoverTolerations(0));
    assert.equal(tol(['--set', 'registry.kind=Deployment', '--set', 'registry.failover.tolerationSeconds=120']), failoverTolerations(120));
    assert.is(tol(['--set', 'registry.failover.tolerationSeconds=null']), undefined, 'null: the cluster default (300 s) applies');
    // A key the operator already tolerates is left as they wrote it.
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 };
    assert.equal(tol(['--set-json', `tolerations=${JSON.stringify([own])}`]), [own, failoverTolerations(30)[0]]);
    const objs = render(h);
    for (const o of [find(objs, 'DaemonSet', `${FULL}-nas-mount`), find(objs, 'Job', `${FULL}-signer`)]) {
      assert.is(podSpecOf(o).tolerations, undefined, `${o.kind}: no failover tolerations`);
    }
    for (const bad of ['registry.failover.tolerationSeconds=-1', 'registry.failover.tolerationSeconds=soon', 'registry.failover.seconds=5']) {
      const r = runHelm(h.bin, ['template', RELEASE, built.chartDir, '--namespace', NS, '--set', bad]);
      assert.is.not(r.status, 0, `accepted --set ${bad}`);
      assert.match(r.stderr, /failover/);
    }
  });

  test(`${V} values hash changes with the values`, () => {
    const hash = (args) => registryPodHash(render(h, args));
    assert.is(hash([]), hash([]));
    assert.is.not(hash([]), hash(['--set', 'registry.image.tag=2.8.2']));
  });

  test(`${V} the packaged .tgz renders the same objects`, () => {
    const fromDir = render(h).filter((o) => o.kind !== 'Secret');
    const fromTgz = helmTemplate(h.bin, built.tgzPath, [], RELEASE, NS).filter((o) => o.kind !== 'Secret');
    assert.equal(fromTgz, fromDir);
  });

  // values.schema.json, enforced by helm itself.
  const rejected = [
    { set: 'registry.port=70000', field: /registry[./]port/ },
    { set: 'nas.path=/x;rm -rf /', field: /nas[./]path/ },
    { set: 'nas.path=/a/../etc', field: /nas[./]path/ },
    { set: 'nas.server=$(reboot)', field: /nas[./]server/ },
    { set: 'nas.mountOptions={rw,nolock;reboot}', field: /nas[./]mountOptions/ },
    { set: 'registry.prot=5000', field: /prot/ },
    { set: 'colour=blue', field: /colour/ },
  ];
  for (const { set, field } of rejected) {
    test(`${V} helm template rejects --set ${set} through values.schema.json`, () => {
      const r = runHelm(h.bin, ['template', RELEASE, built.chartDir, '--namespace', NS, '--set', set]);
      assert.is.not(r.status, 0, `accepted: ${r.stdout.slice(0, 200)}`);
      assert.match(r.stderr, /schema/i);
      assert.match(r.stderr, field);
    });
  }

  if (h.label === 'helm4') {
    // Helm 3 needs a reachable cluster even for `install --dry-run=client`.
    test(`${V} NOTES.txt renders real commands`, () => {
      const r = runHelm(h.bin, ['install', RELEASE, built.chartDir, '-n', NS, '--dry-run=client',
        '--set', 'registry.replicas=3']);
      assert.is(r.status, 0, r.stderr);
      const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
      assert.match(notes, "kubectl -n registry get service registry-svc -o jsonpath='{.spec.clusterIP}'");
      assert.match(notes, 'kubectl get nodes -l node=registry');
      assert.match(notes, `kubectl -n registry get secret ${FULL}-tls`);
      assert.match(notes, 'docker push $IP:5000/');
      assert.match(notes, '/etc/containerd/certs.d/$IP:5000/ca.crt + hosts.toml');
      assert.match(notes, `kubectl -n registry get configmap ${FULL}-ca -o jsonpath='{.data.ca\\.crt}' > ca.crt`);
      assert.match(notes, 'sudo creg-chart trust --release eyoh -n registry');
      assert.match(notes, `kubectl -n registry get daemonset ${FULL}-node-trust`);
      assert.match(notes, 'containerd config dump | grep config_path    # expect /etc/containerd/certs.d');
      const off = runHelm(h.bin, ['install', RELEASE, built.chartDir, '-n', NS, '--dry-run=client',
        '--set', 'nodeTrust.enabled=false']);
      assert.match(off.stdout, 'nodeTrust.enabled is false: put ca.crt on every node yourself');
      assert.match(notes, 'sessionAffinity=ClientIP');
      const fixed = runHelm(h.bin, ['install', RELEASE, built.chartDir, '-n', NS, '--dry-run=client',
        '--set', 'service.clusterIP=10.96.0.50']);
      assert.match(fixed.stdout, 'docker push 10.96.0.50:5000/');
    });
  }
}

function registryPodHash(objs) {
  return find(objs, 'ReplicationController').spec.template.metadata.annotations['creg-chart/values-hash'];
}

test('chart test output cleaned up', () => {
  rmSync(outDir, { recursive: true, force: true });
});

test.run();
