// The in-cluster signer's decisions, as pure functions (no API server needed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCertificateAuthority, signServerCertificate } from '../dist/pki/index.js';
import {
  CA_CONFIGMAP_KEY,
  CLUSTER_IP_KEY,
  MANAGED_BY_LABEL,
  MANAGED_BY_SIGNER,
  VALUES_HASH_ANNOTATION,
  caConfigMapData,
  certRolloutNeeded,
  decideCaConfigMap,
  decideTls,
  describePodNotReady,
  parseSelector,
  planRecycle,
  readInClusterConfig,
  serviceClusterIps,
  serviceDnsNames,
  serviceHostEnvName,
} from '../dist/signer/decide.mjs';

const ca = createCertificateAuthority({ commonName: 'logic CA', validityDays: 3650 });
const ips = ['10.100.153.175'];
const dnsNames = serviceDnsNames('registry-svc', 'reg', 'cluster.local');
const cert = signServerCertificate({ ca, ips, dnsNames, validityDays: 365 });
const current = { certPem: cert.certPem, keyPem: cert.keyPem, caPem: ca.certPem };

test('service DNS names and env hint name', () => {
  assert.equal(dnsNames, ['registry-svc', 'registry-svc.reg', 'registry-svc.reg.svc', 'registry-svc.reg.svc.cluster.local']);
  assert.equal(serviceDnsNames('a', 'b', 'c.d', ['x.example', 'A']), ['a', 'a.b', 'a.b.svc', 'a.b.svc.c.d', 'x.example']);
  assert.is(serviceHostEnvName('registry-svc'), 'REGISTRY_SVC_SERVICE_HOST');
});

test('serviceClusterIps: clusterIPs (dual stack), headless is an error', () => {
  assert.equal(serviceClusterIps({ spec: { clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1', 'fd00::1'] } }, 's'), ['10.0.0.1', 'fd00::1']);
  assert.equal(serviceClusterIps({ spec: { clusterIP: '10.0.0.1' } }, 's'), ['10.0.0.1']);
  assert.throws(() => serviceClusterIps({ spec: { clusterIP: 'None' } }, 's'), /no ClusterIP/);
  assert.throws(() => serviceClusterIps({}, 's'), /no ClusterIP/);
});

test('decideTls: sign when missing, incomplete, wrong key, wrong CA, other SANs, expiring', () => {
  assert.is(decideTls({ current: null, caCertPem: ca.certPem, ips, dnsNames }).action, 'sign');
  assert.is(decideTls({ current: { certPem: cert.certPem }, caCertPem: ca.certPem, ips, dnsNames }).action, 'sign');
  const other = signServerCertificate({ ca, ips, dnsNames, validityDays: 365 });
  assert.match(decideTls({ current: { ...current, keyPem: other.keyPem }, caCertPem: ca.certPem, ips, dnsNames }).reason, /does not belong/);
  const ca2 = createCertificateAuthority({ commonName: 'logic CA', validityDays: 3650 });
  assert.match(decideTls({ current, caCertPem: ca2.certPem, ips, dnsNames }).reason, /not signed by the CA/);
  assert.match(decideTls({ current, caCertPem: ca.certPem, ips: ['10.100.0.1'], dnsNames }).reason, /IP SANs/);
  assert.match(decideTls({ current, caCertPem: ca.certPem, ips, dnsNames: dnsNames.slice(1) }).reason, /DNS SANs/);
  assert.match(decideTls({ current, caCertPem: ca.certPem, ips, dnsNames, now: new Date(Date.now() + 340 * 86_400_000) }).reason, /within 30 days/);
});

test('decideTls: keep when current; update-ca when only the ca.crt copy is stale', () => {
  assert.is(decideTls({ current, caCertPem: ca.certPem, ips, dnsNames }).action, 'keep');
  assert.is(decideTls({ current: { ...current, caPem: undefined }, caCertPem: ca.certPem, ips, dnsNames }).action, 'update-ca');
});

const pod = (name, created, hash, extra = {}) => ({
  name,
  creationTimestamp: created,
  annotations: hash ? { [VALUES_HASH_ANNOTATION]: hash } : {},
  ready: true,
  ...extra,
});

test('planRecycle: nothing to do when the cert is rolled out and hashes match (idempotent second run)', () => {
  const pods = [pod('r-a', '2025-01-01T00:00:10Z', 'h1'), pod('r-b', '2025-01-01T00:00:11Z', 'h1')];
  assert.equal(planRecycle({ pods, workloadKind: 'ReplicationController', templateValuesHash: 'h1', certRollout: false }), []);
});

test('planRecycle: certificate changed -> pods created up to the issue time, one entry each', () => {
  const issued = new Date('2025-01-01T00:01:00.500Z');
  const pods = [
    pod('r-b', '2025-01-01T00:00:10Z', 'h1'),
    pod('r-a', '2025-01-01T00:01:00Z', 'h1'), // same second: treated as stale
    pod('r-c', '2025-01-01T00:01:01Z', 'h1'), // created after: already has the new cert
    pod('r-d', '2025-01-01T00:00:05Z', 'h1', { deletionTimestamp: '2025-01-01T00:00:50Z' }), // terminating
  ];
  const steps = planRecycle({ pods, workloadKind: 'ReplicationController', templateValuesHash: 'h1', certRollout: true, certIssuedAt: issued });
  assert.equal(steps.map((s) => s.pod), ['r-a', 'r-b']);
  assert.match(steps[0].reason, /previous certificate/);
});

test('planRecycle: rollout without a known issue time recycles every live pod', () => {
  const pods = [pod('r-a', '2025-01-01T00:00:10Z', 'h1'), pod('r-b', undefined, 'h1')];
  assert.equal(planRecycle({ pods, workloadKind: 'Deployment', certRollout: true }).map((s) => s.pod), ['r-a', 'r-b']);
});

test('planRecycle: stale values hash matters for ReplicationControllers only', () => {
  const pods = [pod('r-a', '2025-01-01T00:00:10Z', 'old'), pod('r-b', '2025-01-01T00:00:10Z', 'new'), pod('r-c', '2025-01-01T00:00:10Z')];
  const rc = planRecycle({ pods, workloadKind: 'ReplicationController', templateValuesHash: 'new', certRollout: false });
  assert.equal(rc.map((s) => s.pod), ['r-a', 'r-c']);
  assert.match(rc[0].reason, /values-hash old differs/);
  assert.equal(planRecycle({ pods, workloadKind: 'Deployment', templateValuesHash: 'new', certRollout: false }), []);
  assert.equal(planRecycle({ pods, workloadKind: 'ReplicationController', templateValuesHash: undefined, certRollout: false }), []);
});

test('planRecycle: not-ready pods go first; reasons are combined', () => {
  const pods = [pod('r-a', '2025-01-01T00:00:10Z', 'old'), pod('r-z', '2025-01-01T00:00:10Z', 'old', { ready: false })];
  const steps = planRecycle({ pods, workloadKind: 'ReplicationController', templateValuesHash: 'new', certRollout: true, certIssuedAt: new Date('2025-02-01T00:00:00Z') });
  assert.equal(steps.map((s) => s.pod), ['r-z', 'r-a']);
  assert.match(steps[1].reason, /previous certificate; its creg-chart\/values-hash/);
});

test('certRolloutNeeded: changed now, or an earlier rollout did not record completion', () => {
  assert.ok(certRolloutNeeded(true, 'abc', 'abc'));
  assert.ok(certRolloutNeeded(false, 'abc', undefined));
  assert.ok(certRolloutNeeded(false, 'abc', 'old'));
  assert.not.ok(certRolloutNeeded(false, 'abc', 'abc'));
});

test('readInClusterConfig: defaults, namespace from the service account, clear errors', () => {
  const env = {
    SERVICE_NAME: 'registry-svc', CA_STORE: 'r-ca', TLS_STORE: 'r-tls', WORKLOAD_KIND: 'ReplicationController',
    WORKLOAD_NAME: 'r', POD_SELECTOR: 'app.kubernetes.io/name=creg, app.kubernetes.io/component=registry', DNS_NAMES: 'reg.example.com, Other.Example',
  };
  const cfg = readInClusterConfig(env, 'from-sa');
  assert.is(cfg.namespace, 'from-sa');
  assert.is(cfg.clusterDomain, 'cluster.local');
  assert.is(cfg.certValidityDays, 365);
  assert.is(cfg.caValidityDays, 3650);
  assert.equal(cfg.extraDnsNames, ['reg.example.com', 'other.example']);
  assert.is(readInClusterConfig({ ...env, POD_NAMESPACE: 'ns' }, 'from-sa').namespace, 'ns');
  assert.throws(() => readInClusterConfig({ ...env, SERVICE_NAME: '' }, 'x'), /Missing environment variable SERVICE_NAME;/);
  assert.throws(() => readInClusterConfig(env), /Missing environment variable POD_NAMESPACE/);
  assert.throws(() => readInClusterConfig({ ...env, CERT_VALIDITY_DAYS: '20' }, 'x'), /CERT_VALIDITY_DAYS="20" must be a whole number between 31/);
  assert.throws(() => readInClusterConfig({ ...env, TLS_STORE: 'Bad_Name' }, 'x'), /not a valid Kubernetes object name/);
  assert.throws(() => readInClusterConfig({ ...env, DNS_NAMES: 'bad_name' }, 'x'), /DNS_NAMES entry "bad_name"/);
  assert.is(cfg.caConfigMap, '', 'CA_CONFIGMAP is optional (not published when unset)');
  assert.is(readInClusterConfig({ ...env, CA_CONFIGMAP: ' r-ca ' }, 'x').caConfigMap, 'r-ca');
  assert.throws(() => readInClusterConfig({ ...env, CA_CONFIGMAP: 'r_ca' }, 'x'), /CA_CONFIGMAP="r_ca" is not a valid Kubernetes object name/);
});

test('parseSelector: k=v,k=v only', () => {
  assert.equal(parseSelector('a=b, c.d/e=f'), { a: 'b', 'c.d/e': 'f' });
  assert.throws(() => parseSelector('a in (b)'), /not a label k=v pair/);
  assert.throws(() => parseSelector('a!=b'), /not a label k=v pair/);
  assert.throws(() => parseSelector(''), /empty/);
});

const ours = (data, extra = {}) => ({ metadata: { labels: { [MANAGED_BY_LABEL]: MANAGED_BY_SIGNER } }, data, ...extra });
const want = caConfigMapData(ca.certPem, '10.100.153.175');

test('caConfigMapData: the CA certificate and the ClusterIP, never the key', () => {
  assert.is(CA_CONFIGMAP_KEY, 'ca.crt');
  assert.is(CLUSTER_IP_KEY, 'cluster-ip');
  assert.equal(want, { 'ca.crt': ca.certPem, 'cluster-ip': '10.100.153.175' });
  assert.not.match(JSON.stringify(want), /PRIVATE KEY/);
});

test('decideCaConfigMap: create when missing, keep when exactly right (second run changes nothing)', () => {
  assert.equal(decideCaConfigMap(null, want, 'r-ca'), { action: 'create', reason: 'r-ca does not exist yet' });
  const d = decideCaConfigMap(ours({ ...want }), want, 'r-ca');
  assert.is(d.action, 'keep', d.reason);
});

test('decideCaConfigMap: update on another CA or ClusterIP, a missing key, or any extra key', () => {
  const ca2 = createCertificateAuthority({ commonName: 'logic CA 2', validityDays: 3650 });
  const otherCa = decideCaConfigMap(ours({ ...want, 'ca.crt': ca2.certPem }), want);
  assert.is(otherCa.action, 'update');
  assert.match(otherCa.reason, /ca\.crt differs from the CA/);
  assert.match(decideCaConfigMap(ours({ ...want, 'cluster-ip': '10.0.0.9' }), want, 'r-ca').reason, /r-ca's cluster-ip 10\.0\.0\.9 differs from 10\.100\.153\.175/);
  assert.match(decideCaConfigMap(ours({ 'ca.crt': ca.certPem }), want).reason, /has no cluster-ip/);
  assert.match(decideCaConfigMap(ours(undefined), want).reason, /has no ca.crt/);
  const withKey = decideCaConfigMap(ours({ ...want, 'ca.key': ca.keyPem }), want, 'r-ca');
  assert.is(withKey.action, 'update');
  assert.match(withKey.reason, /other keys \(ca\.key\)/);
  assert.not.match(withKey.reason, /PRIVATE/);
  assert.is(decideCaConfigMap(ours({ ...want }, { binaryData: { x: 'AA==' } }), want).action, 'update');
});

test('decideCaConfigMap: refuse a ConfigMap of that name the signer did not make', () => {
  for (const cm of [{ data: { ...want } }, { metadata: { labels: { [MANAGED_BY_LABEL]: 'Helm' } }, data: {} }]) {
    const d = decideCaConfigMap(cm, want, 'r-ca');
    assert.is(d.action, 'refuse');
    assert.match(d.reason, /ConfigMap r-ca exists but was not made by the creg-chart signer/);
  }
});

test('describePodNotReady names the pod, its node and what kubelet reports (init container exit, image pull, probe)', () => {
  assert.is(describePodNotReady({
    metadata: { name: 'r-creg-abc' },
    spec: { nodeName: 'n1' },
    status: {
      phase: 'Pending',
      initContainerStatuses: [{
        name: 'nas-guard', restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        lastState: { terminated: { reason: 'Error', exitCode: 1 } },
      }],
      containerStatuses: [{ name: 'registry', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    },
  }), 'pod r-creg-abc on node n1, phase Pending: init container nas-guard waiting: CrashLoopBackOff (back-off 40s restarting failed container); '
    + 'last terminated: Error exit code 1, 3 restarts; container registry waiting: PodInitializing');
  assert.is(describePodNotReady({
    metadata: { name: 'p' }, spec: { nodeName: 'n' },
    status: { phase: 'Running', containerStatuses: [{ name: 'registry', ready: false, state: { running: {} } }] },
  }), 'pod p on node n, phase Running: container registry running, not ready (readiness probe)');
  assert.is(describePodNotReady({
    metadata: { name: 'q' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] },
  }), 'pod q (not scheduled), phase Pending: PodScheduled: Unschedulable 0/1 nodes are available');
  assert.is(describePodNotReady({ metadata: { name: 'z' }, spec: { nodeName: 'n' }, status: {} }), 'pod z on node n, phase unknown: no container status yet');
});

test('maintenance recover: a read-only window is stale once its gc pod is gone, deleted or ended; not while it is pending or running', async () => {
  const { readOnlyIsStale } = await import('../dist/signer/maintenance.mjs');
  const pod = (name, phase, deleting) => ({ metadata: { name, ...(deleting ? { deletionTimestamp: '2026-11-30T00:00:00Z' } : {}) }, status: { phase } });
  assert.not.ok(readOnlyIsStale('gc-1', [pod('gc-1', 'Running')]));
  assert.not.ok(readOnlyIsStale('gc-1', [pod('gc-0', 'Succeeded'), pod('gc-1', 'Pending')]));
  assert.ok(readOnlyIsStale('gc-1', []), 'gone');
  assert.ok(readOnlyIsStale('gc-1', [pod('gc-2', 'Running')]), 'another gc pod does not own this window');
  assert.ok(readOnlyIsStale('gc-1', [pod('gc-1', 'Failed')]));
  assert.ok(readOnlyIsStale('gc-1', [pod('gc-1', 'Succeeded')]));
  assert.ok(readOnlyIsStale('gc-1', [pod('gc-1', 'Running', true)]), 'being deleted');
  assert.ok(readOnlyIsStale(undefined, [pod('gc-1', 'Running')]), 'no pod recorded');
});

test.run();
