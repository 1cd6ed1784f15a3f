// The node trust DaemonSet's script (chart-templates/files/node-trust.sh),
// extracted from the manifests the real `helm template` renders for a built
// chart, run against a temporary root with dash and with `busybox sh` (only
// busybox applets on PATH, as in the busybox image the DaemonSet uses).
//
// Kubernetes is not involved: the test plays the kubelet's part by expanding
// $(<SVC>_SERVICE_HOST) into SERVICE_HOST and by pointing the mounted
// directories at <root>/etc/... . What this does NOT cover: the kubelet
// refreshing the optional ConfigMap volume (it is replaced here by rewriting
// CA_FILE) and hostPath mount semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import {
  existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createCertificateAuthority } from '../dist/pki/index.js';
import { DEFAULT_CERTS_DIRS, formatAddress, hostsToml, planTrust } from '../dist/trust/plan.js';
import {
  HELMS, buildChart, helmTemplate, tempDir, trustScriptOf, validateObject,
} from './helpers/chart.mjs';
import { assertPlanOnDisk, listTree, trustShells } from './helpers/trust.mjs';

const RELEASE = 'eyoh';
const NS = 'registry';
const FULL = 'eyoh-creg';
const OWNER = `${NS}/${FULL}`;
const outDir = tempDir('creg-trust-script-');
const { chartDir } = await buildChart({ outputDir: outDir });
const rendered = helmTemplate(HELMS[0].bin, chartDir, [], RELEASE, NS);
const trust = trustScriptOf(rendered);
const { shells, cleanup: cleanupShells } = trustShells();

const caA = createCertificateAuthority({ commonName: 'trust A', validityDays: 30 }).certPem;
const caB = createCertificateAuthority({ commonName: 'trust B', validityDays: 30 }).certPem;
const KINDS = ['containerd', 'docker', 'containers'];

test.after(() => {
  rmSync(outDir, { recursive: true, force: true });
  cleanupShells();
});

/** A temporary root standing for the node's file system plus the pod's /ca and /run. */
function sandbox() {
  const root = tempDir('creg-trust-root-');
  mkdirSync(join(root, 'pod', 'ca'), { recursive: true });
  mkdirSync(join(root, 'pod', 'run'), { recursive: true });
  for (const k of KINDS) mkdirSync(join(root, DEFAULT_CERTS_DIRS[k]), { recursive: true });
  mkdirSync(join(root, 'pod', 'pin'), { recursive: true });
  const caFile = join(root, 'pod', 'ca', 'ca.crt');
  const clusterIpFile = join(root, 'pod', 'ca', 'cluster-ip');
  const pinDir = join(root, 'pod', 'pin');
  return {
    root,
    caFile,
    clusterIpFile,
    pinDir,
    /** The signer's part: the ConfigMap's cluster-ip and the pin Secret's (pin: false = only the ConfigMap changes). */
    setClusterIp(ip, { pin = true } = {}) { writeFileSync(clusterIpFile, ip); if (pin) writeFileSync(join(pinDir, 'cluster-ip'), ip); },
    ready: join(root, 'pod', 'run', 'trusted'),
    setCa(pem, { pin = true } = {}) { writeFileSync(caFile, pem); if (pin) writeFileSync(join(pinDir, 'ca.crt.sha256'), createHash('sha256').update(pem).digest('hex')); },
    /** The rendered env with the kubelet's part played: Service env expanded, mounts under root. */
    env(extra = {}) {
      return {
        ...trust.env,
        SERVICE_HOST: '10.100.153.175',
        CA_FILE: caFile,
        CLUSTER_IP_FILE: clusterIpFile,
        PIN_DIR: pinDir,
        CONTAINERD_DIR: join(root, DEFAULT_CERTS_DIRS.containerd),
        DOCKER_DIR: join(root, DEFAULT_CERTS_DIRS.docker),
        CONTAINERS_DIR: join(root, DEFAULT_CERTS_DIRS.containers),
        READY_FILE: join(root, 'pod', 'run', 'trusted'),
        CHECK_INTERVAL_SECONDS: '1',
        MAX_ROUNDS: '1',
        ...extra,
      };
    },
    path(kind, address, name = '') { return join(root, DEFAULT_CERTS_DIRS[kind], address, name); },
    cleanup() { rmSync(root, { recursive: true, force: true }); },
  };
}

const plan = (caPem, host = '10.100.153.175', port = 5000) => planTrust({
  caPem, address: formatAddress(host, port), owner: OWNER,
  dirs: KINDS.map((kind) => ({ kind, certsDir: DEFAULT_CERTS_DIRS[kind] })),
});

test('the rendered DaemonSet: every node, unprivileged, hostPath mounts only, CA from the optional ConfigMap', () => {
  const ds = trust.daemonSet;
  validateObject(ds);
  assert.is(ds.metadata.name, `${FULL}-node-trust`);
  const pod = ds.spec.template.spec;
  assert.is(pod.nodeSelector, undefined, 'no nodeSelector: every node');
  assert.equal(pod.tolerations, [{ operator: 'Exists' }]);
  assert.is(pod.hostPID, undefined);
  assert.is(pod.hostNetwork, undefined);
  assert.is(pod.automountServiceAccountToken, false);
  const c = pod.containers[0];
  assert.is(c.image, 'busybox:1.37');
  assert.equal(c.securityContext.capabilities, { drop: ['ALL'] });
  assert.is(c.securityContext.privileged, false);
  assert.is(c.securityContext.allowPrivilegeEscalation, false);
  assert.is(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(pod.volumes.find((v) => v.name === 'ca').configMap, { name: `${FULL}-ca`, optional: true });
  assert.equal(pod.volumes.find((v) => v.name === 'pin').secret, { secretName: `${FULL}-ca-pin`, optional: true }, 'the pin comes from a Secret only the signer writes');
  assert.equal(
    pod.volumes.filter((v) => v.hostPath).map((v) => v.hostPath),
    [...KINDS.map((k) => DEFAULT_CERTS_DIRS[k]), '/etc/containers/registries.conf.d'].map((path) => ({ path, type: 'DirectoryOrCreate' })),
  );
  assert.equal(trust.env, {
    OWNER,
    ACTION: 'install',
    CA_FILE: '/ca/ca.crt',
    CLUSTER_IP_FILE: '/ca/cluster-ip',
    PIN_DIR: '/pin',
    SERVICE_HOST: '$(REGISTRY_SVC_SERVICE_HOST)',
    FALLBACK_HOST: '',
    REGISTRY_PORT: '5000',
    CONTAINERD_DIR: '/host/containerd-certs.d',
    CONTAINERD_HOST_DIR: '/etc/containerd/certs.d',
    DOCKER_DIR: '/host/docker-certs.d',
    CONTAINERS_DIR: '/host/containers-certs.d',
    // Mirror mode (test/trust-mirror-script.test.mjs): off, so a running DaemonSet removes its mirror files.
    MIRROR_HOSTS: '',
    MIRROR_UPSTREAM: '',
    CONTAINERS_REGISTRIES_DIR: '/host/containers-registries.conf.d',
    MIRROR_STATUS_FILE: '/run/creg/mirror-status',
    CHECK_INTERVAL_SECONDS: '60',
    READY_FILE: '/run/creg/trusted',
  });
  // The script is the chart files byte for byte (values reach it through env only): the mirror
  // functions (files/node-mirror.sh), then files/node-trust.sh.
  const lib = readFileSync(join(chartDir, 'files', 'node-mirror.sh'), 'utf8');
  assert.is(trust.script.trimEnd(), `${lib}\n${readFileSync(join(chartDir, 'files', 'node-trust.sh'), 'utf8')}`.trimEnd());
});

test('values: other runtime paths (k3s), a runtime turned off, remove action, node trust off', () => {
  const objs = helmTemplate(HELMS[1].bin, chartDir, [
    '--set', 'nodeTrust.containerdCertsDir=/var/lib/rancher/k3s/agent/etc/containerd/certs.d',
    '--set', 'nodeTrust.writeDocker=false',
    '--set', 'nodeTrust.action=remove',
    '--set', 'service.clusterIP=10.96.0.50',
  ], RELEASE, NS);
  const t = trustScriptOf(objs);
  validateObject(t.daemonSet);
  assert.is(t.env.CONTAINERD_HOST_DIR, '/var/lib/rancher/k3s/agent/etc/containerd/certs.d');
  assert.is(t.env.DOCKER_DIR, undefined);
  assert.is(t.env.ACTION, 'remove');
  assert.is(t.env.FALLBACK_HOST, '10.96.0.50');
  const hp = t.daemonSet.spec.template.spec.volumes.filter((v) => v.hostPath).map((v) => v.hostPath.path);
  assert.equal(hp, ['/var/lib/rancher/k3s/agent/etc/containerd/certs.d', '/etc/containers/certs.d', '/etc/containers/registries.conf.d']);
  const off = helmTemplate(HELMS[0].bin, chartDir, ['--set', 'nodeTrust.enabled=false'], RELEASE, NS);
  assert.is(off.filter((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-node-trust')).length, 0);
});

test('at least dash runs the script; busybox too when installed (required in CI)', () => {
  assert.ok(shells.some((s) => s.name === 'dash'));
  if (process.env.CI) assert.ok(shells.some((s) => s.name === 'busybox'), 'busybox is installed in CI (.ci/run)');
  console.log(`  shells: ${shells.map((s) => s.name).join(', ')}`);
});

for (const sh of shells) {
  const T = `[${sh.name}]`;
  const run = (sb, extra) => sh.run(trust.script, trust.argv0, sb.env(extra));

  test(`${T} install writes exactly what src/trust/plan.ts plans: files, modes, hosts.toml, marker`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const r = run(sb);
      assert.is(r.status, 0, r.out);
      const p = plan(caA);
      assertPlanOnDisk(sb.root, p);
      assert.is(readFileSync(sb.path('containerd', '10.100.153.175:5000', 'hosts.toml'), 'utf8'),
        'server = "https://10.100.153.175:5000"\n[host."https://10.100.153.175:5000"]\n  capabilities = ["pull", "resolve"]\n  ca = "/etc/containerd/certs.d/10.100.153.175:5000/ca.crt"\n');
      assert.is(readFileSync(sb.path('docker', '10.100.153.175:5000', '.creg-chart-owner'), 'utf8'), `${OWNER}\n`);
      assert.not.ok(existsSync(sb.path('docker', '10.100.153.175:5000', 'hosts.toml')), 'hosts.toml is for containerd only');
      assert.ok(existsSync(sb.ready), 'ready file');
      assert.match(r.out, /wrote .*ca\.crt/);
    } finally { sb.cleanup(); }
  });

  test(`${T} second round changes nothing (same inodes and mtimes, nothing logged as written)`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      assert.is(run(sb).status, 0);
      const files = plan(caA).dirs.flatMap((d) => d.files.map((f) => join(sb.root, f.path)));
      const before = files.map((f) => { const s = statSync(f); return [s.ino, s.mtimeMs]; });
      const r = run(sb);
      assert.is(r.status, 0, r.out);
      assert.not.match(r.out, /wrote/);
      assert.equal(files.map((f) => { const s = statSync(f); return [s.ino, s.mtimeMs]; }), before);
    } finally { sb.cleanup(); }
  });

  test(`${T} CA change: ca.crt replaced by rename (new inode; a hard link to the old file keeps the old CA), nothing else rewritten`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      assert.is(run(sb).status, 0);
      const ca = sb.path('containerd', '10.100.153.175:5000', 'ca.crt');
      const hosts = sb.path('containerd', '10.100.153.175:5000', 'hosts.toml');
      const held = join(sb.root, 'held-open-ca.crt');
      linkSync(ca, held); // a reader holding the old file
      const oldIno = statSync(ca).ino;
      const hostsIno = statSync(hosts).ino;
      sb.setCa(caB);
      const r = run(sb);
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caB));
      assert.is.not(statSync(ca).ino, oldIno, 'renamed into place, not written in place');
      assert.is(readFileSync(held, 'utf8'), caA, 'the old file was never truncated or partly overwritten');
      assert.is(statSync(hosts).ino, hostsIno, 'hosts.toml unchanged');
      assert.equal(listTree(sb.path('containerd', '10.100.153.175:5000')), ['.creg-chart-owner', 'ca.crt', 'hosts.toml'], 'no temporary files left');
    } finally { sb.cleanup(); }
  });

  test(`${T} ClusterIP change and port change: new address written, old address directories removed`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      assert.is(run(sb).status, 0);
      let r = run(sb, { SERVICE_HOST: '10.100.7.7' });
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, '10.100.7.7'));
      for (const k of KINDS) assert.not.ok(existsSync(sb.path(k, '10.100.153.175:5000')), `${k}: old IP removed`);
      r = run(sb, { SERVICE_HOST: '10.100.7.7', REGISTRY_PORT: '443' });
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, '10.100.7.7', 443));
      for (const k of KINDS) {
        assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])).filter((p) => p.endsWith('/')), ['10.100.7.7:443/'], k);
      }
    } finally { sb.cleanup(); }
  });

  test(`${T} foreign files and directories survive install, address change and remove`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const foreign = {
        [sb.path('containerd', '_default', 'hosts.toml')]: 'server = "https://registry-1.docker.io"\n',
        [sb.path('containerd', 'docker.io', 'hosts.toml')]: '[host."https://mirror.example"]\n',
        [sb.path('docker', '10.9.9.9:5000', 'ca.crt')]: 'someone else\'s CA\n',
        [join(sb.root, DEFAULT_CERTS_DIRS.docker, 'README')]: 'not ours\n',
        [sb.path('containers', '10.100.153.175:5000', 'client.cert')]: 'client cert in our address dir\n',
        // Another release's directory (other owner) for an old address of ours.
        [sb.path('containerd', '10.100.1.1:5000', '.creg-chart-owner')]: 'other/release-creg\n',
        [sb.path('containerd', '10.100.1.1:5000', 'ca.crt')]: 'other release CA\n',
      };
      for (const [p, text] of Object.entries(foreign)) {
        mkdirSync(join(p, '..'), { recursive: true });
        writeFileSync(p, text);
      }
      const check = (when) => {
        for (const [p, text] of Object.entries(foreign)) {
          assert.ok(existsSync(p), `${when}: ${p} survives`);
          assert.is(readFileSync(p, 'utf8'), text, `${when}: ${p} unchanged`);
        }
      };
      let r = run(sb);
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA), { foreign: ['client.cert'] });
      check('install');
      r = run(sb, { SERVICE_HOST: '10.100.7.7' });
      assert.is(r.status, 0, r.out);
      check('address change');
      assert.equal(listTree(sb.path('containers', '10.100.153.175:5000')), ['client.cert'], 'our files gone, the foreign one kept');
      r = run(sb, { ACTION: 'remove', SERVICE_HOST: '10.100.7.7' });
      assert.is(r.status, 0, r.out);
      check('remove');
      for (const k of KINDS) assert.not.ok(existsSync(sb.path(k, '10.100.7.7:5000')), `${k}: removed`);
    } finally { sb.cleanup(); }
  });

  test(`${T} a ca.crt not written by creg-chart at our address is left alone (error unless it already holds this CA)`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const theirs = sb.path('docker', '10.100.153.175:5000', 'ca.crt');
      mkdirSync(join(theirs, '..'), { recursive: true });
      writeFileSync(theirs, caB);
      let r = run(sb);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /left alone: .*docker\/certs\.d\/10\.100\.153\.175:5000 holds a ca\.crt\/hosts\.toml not written by creg-chart/);
      assert.is(readFileSync(theirs, 'utf8'), caB);
      assert.not.ok(existsSync(sb.ready), 'not ready while a runtime is not trusting the CA');
      assertPlanOnDisk(sb.root, { dirs: plan(caA).dirs.filter((d) => d.kind !== 'docker') }); // the others are done
      writeFileSync(theirs, caA);
      r = run(sb);
      assert.is(r.status, 0, r.out);
      assert.match(r.out, /already holds this CA/);
      assert.equal(listTree(sb.path('docker', '10.100.153.175:5000')), ['ca.crt'], 'still not taken over');
    } finally { sb.cleanup(); }
  });

  test(`${T} a symlink at our address is not followed`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const elsewhere = join(sb.root, 'elsewhere');
      mkdirSync(elsewhere);
      symlinkSync(elsewhere, sb.path('containers', '10.100.153.175:5000'));
      const r = run(sb);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /is not a directory creg-chart made/);
      assert.equal(listTree(elsewhere), []);
    } finally { sb.cleanup(); }
  });

  test(`${T} action=remove deletes every address directory this release wrote, needs no CA`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      assert.is(run(sb).status, 0);
      assert.is(run(sb, { REGISTRY_PORT: '5001' }).status, 0);
      // An old address left by an earlier version, still ours.
      mkdirSync(sb.path('docker', '10.1.2.3:5000'));
      writeFileSync(sb.path('docker', '10.1.2.3:5000', '.creg-chart-owner'), `${OWNER}\n`);
      writeFileSync(sb.path('docker', '10.1.2.3:5000', 'ca.crt'), caA);
      rmSync(sb.caFile);
      const r = run(sb, { ACTION: 'remove', SERVICE_HOST: '$(REGISTRY_SVC_SERVICE_HOST)' });
      assert.is(r.status, 0, r.out);
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), [], `${k} emptied`);
      assert.ok(existsSync(sb.ready));
    } finally { sb.cleanup(); }
  });

  // Ready while waiting: `helm install --wait` waits for every pod to be ready
  // before it runs the post-install hook that publishes the CA (a deadlock
  // otherwise; kwok's fake nodes run no probes, so only this test sees it).
  test(`${T} before the signer published the CA: waits, touches nothing, ready (no --wait deadlock)`, () => {
    const sb = sandbox();
    try {
      const r = run(sb);
      assert.is(r.status, 0, r.out);
      assert.match(r.out, /waiting for the CA at .*ca\.crt \(ConfigMap eyoh-creg-ca/);
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), []);
      assert.ok(existsSync(sb.ready), 'ready while waiting for the CA');
      sb.setCa('not a certificate\n');
      assert.is(run(sb).status, 0);
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), []);
    } finally { sb.cleanup(); }
  });

  test(`${T} address: Service env unset -> service.clusterIP fallback, else exit; IPv6 in brackets; bad input refused`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const unset = '$(REGISTRY_SVC_SERVICE_HOST)'; // what Kubernetes leaves when the variable does not exist
      let r = run(sb, { SERVICE_HOST: unset, FALLBACK_HOST: '' });
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /ClusterIP is unknown/);
      r = run(sb, { SERVICE_HOST: unset, FALLBACK_HOST: '10.96.0.50' });
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, '10.96.0.50'));
      r = run(sb, { SERVICE_HOST: 'fd00::10' });
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, 'fd00::10'));
      assert.match(readFileSync(sb.path('containerd', '[fd00::10]:5000', 'hosts.toml'), 'utf8'), /server = "https:\/\/\[fd00::10\]:5000"/);
      for (const [extra, msg] of [
        [{ SERVICE_HOST: '10.0.0.1;rm -rf /' }, /unexpected registry host/],
        [{ REGISTRY_PORT: '50a' }, /REGISTRY_PORT must be a number/],
        [{ CONTAINERD_DIR: 'relative/dir' }, /is not absolute/],
        [{ DOCKER_DIR: '/etc/../etc/docker' }, /refusing directory/],
        [{ OWNER: 'no-slash' }, /OWNER must be/],
        [{ ACTION: 'purge' }, /ACTION must be install or remove/],
      ]) {
        const before = listTree(sb.root);
        r = run(sb, extra);
        assert.is(r.status, 2, `${JSON.stringify(extra)}: ${r.out}`);
        assert.match(r.out, msg);
        assert.equal(listTree(sb.root), before, 'bad input changes nothing');
      }
      r = run(sb, { CONTAINERD_DIR: join(sb.root, 'not-mounted') });
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /not-mounted \(containerd certs\.d\) is not mounted/);
    } finally { sb.cleanup(); }
  });

  test(`${T} ClusterIP published in the CA ConfigMap wins over the pod's Service env and is followed (re-created Service)`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      sb.setClusterIp('10.100.200.1'); // the signer's value from the API
      let r = run(sb); // this pod's env still says 10.100.153.175
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, '10.100.200.1'));
      assert.match(r.out, /using ClusterIP 10\.100\.200\.1 published by the signer \(this pod's Service env says 10\.100\.153\.175\)/);
      for (const k of KINDS) assert.not.ok(existsSync(sb.path(k, '10.100.153.175:5000')), k);
      sb.setClusterIp('10.100.200.2'); // Service re-created, signer ran again, kubelet refreshed the volume
      r = run(sb);
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA, '10.100.200.2'));
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])).filter((p) => p.endsWith('/')), ['10.100.200.2:5000/'], k);
      sb.setClusterIp(''); // empty: the env is used again
      r = run(sb);
      assert.is(r.status, 0, r.out);
      assertPlanOnDisk(sb.root, plan(caA));
      const before = listTree(sb.root);
      sb.setClusterIp('10.0.0.1 && reboot');
      r = run(sb);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /cluster-ip holds '10\.0\.0\.1 && reboot', not an IP address/);
      assert.equal(listTree(sb.root).filter((p) => !p.startsWith('pod/')), before.filter((p) => !p.startsWith('pod/')), 'nothing changed');
      assert.not.ok(existsSync(sb.ready));
    } finally { sb.cleanup(); }
  });

  test(`${T} tampered ConfigMap (another CA): nothing trusted, nothing removed, reason logged, not ready`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      sb.setClusterIp('10.100.153.175');
      assert.is(run(sb).status, 0);
      const before = listTree(sb.root).filter((p) => !p.startsWith('pod/'));
      sb.setCa(caB, { pin: false }); // someone with ConfigMap write access
      const r = run(sb);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /is not the CA the signer published \(sha256 [0-9a-f]{64} in Secret eyoh-creg-ca-pin\).*Trusting nothing and removing nothing/);
      assertPlanOnDisk(sb.root, plan(caA));
      assert.equal(listTree(sb.root).filter((p) => !p.startsWith('pod/')), before);
      assert.not.ok(existsSync(sb.ready));
    } finally { sb.cleanup(); }
  });

  test(`${T} tampered ConfigMap on a fresh node: nothing is written at all`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      writeFileSync(sb.caFile, caB); // the ConfigMap says B, the signer pinned A
      const r = run(sb);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /not the CA the signer published/);
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), [], k);
    } finally { sb.cleanup(); }
  });

  test(`${T} tampered ConfigMap (another address, a host name): old files kept, nothing trusted for it`, () => {
    for (const bad of ['10.6.6.6', 'cafe.de', '']) {
      const sb = sandbox();
      try {
        sb.setCa(caA);
        sb.setClusterIp('10.100.153.175');
        assert.is(run(sb).status, 0);
        const before = listTree(sb.root).filter((p) => !p.startsWith('pod/'));
        writeFileSync(sb.clusterIpFile, bad);
        const r = run(sb);
        assert.is(r.status, 1, `${bad}: ${r.out}`);
        assert.match(r.out, /not the ClusterIP '10\.100\.153\.175' the signer published/, bad);
        assert.equal(listTree(sb.root).filter((p) => !p.startsWith('pod/')), before, `${bad}: nothing changed`);
      } finally { sb.cleanup(); }
    }
  });

  test(`${T} only IP literals are registry hosts: host names and junk refused wherever they come from`, () => {
    for (const bad of ['cafe.de', 'dead.beef', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'fe80:::1', 'a.b.c.d']) {
      const sb = sandbox();
      try {
        sb.setCa(caA);
        let r = run(sb, { SERVICE_HOST: bad });
        assert.is(r.status, 2, `SERVICE_HOST=${bad}: ${r.out}`);
        assert.match(r.out, /not an IP address/);
        sb.setClusterIp(bad); // even when pinned
        r = run(sb);
        assert.is(r.status, 1, `pinned ${bad}: ${r.out}`);
        assert.match(r.out, /not an IP address/);
        for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), [], k);
      } finally { sb.cleanup(); }
    }
    const sb = sandbox();
    try {
      sb.setCa(caA);
      for (const good of ['10.0.0.1', '0.0.0.0', 'fd00::1', '::ffff:10.0.0.1']) assert.is(run(sb, { SERVICE_HOST: good }).status, 0, good);
    } finally { sb.cleanup(); }
  });

  test(`${T} no pin yet (signer has not run since the upgrade): waits, touches nothing, stays ready`, () => {
    const sb = sandbox();
    try {
      sb.setCa(caA, { pin: false });
      const r = run(sb);
      assert.is(r.status, 0, r.out);
      assert.match(r.out, /waiting for the CA fingerprint/);
      for (const k of KINDS) assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS[k])), [], k);
      assert.ok(existsSync(sb.ready));
    } finally { sb.cleanup(); }
  });

  test(`${T} as a long-running pod: follows a CA change within a round, stops on SIGTERM leaving the files`, async () => {
    const sb = sandbox();
    try {
      sb.setCa(caA);
      const a = sh.spawnArgs(trust.script, trust.argv0, sb.env({ MAX_ROUNDS: '0', CHECK_INTERVAL_SECONDS: '1' }));
      const child = spawn(a.cmd, a.args, { env: a.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      const until = async (cond, what) => {
        const deadline = Date.now() + 10_000;
        while (!cond()) {
          if (Date.now() > deadline) { child.kill('SIGKILL'); assert.unreachable(`${what}; output:\n${out}`); }
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const ca = sb.path('containerd', '10.100.153.175:5000', 'ca.crt');
      await until(() => existsSync(sb.ready), 'ready file');
      assertPlanOnDisk(sb.root, plan(caA));
      const t0 = Date.now();
      sb.setCa(caB);
      await until(() => readFileSync(ca, 'utf8') === caB, 'CA change followed');
      const followMs = Date.now() - t0;
      assert.ok(followMs < 5000, `followed in ${followMs} ms`);
      await until(() => plan(caB).dirs.every((d) => readFileSync(join(sb.root, d.addressDir, 'ca.crt'), 'utf8') === caB), 'all dirs');
      const t1 = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      const stopMs = Date.now() - t1;
      assert.is(code, 0, out);
      assert.ok(stopMs < 2000, `stopped in ${stopMs} ms`);
      assert.match(out, /stopping; trust files stay in place/);
      assertPlanOnDisk(sb.root, plan(caB));
      console.log(`  ${sh.name}: CA change followed in ${followMs} ms; SIGTERM handled in ${stopMs} ms`);
    } finally { sb.cleanup(); }
  });
}

test('plan.ts and the script agree on hosts.toml for a non-default containerd path (k3s)', () => {
  const sh = shells[0];
  const sb = sandbox();
  try {
    sb.setCa(caA);
    const hostDir = '/var/lib/rancher/k3s/agent/etc/containerd/certs.d';
    const r = sh.run(trust.script, trust.argv0, sb.env({ CONTAINERD_HOST_DIR: hostDir, DOCKER_DIR: '', CONTAINERS_DIR: '' }));
    assert.is(r.status, 0, r.out);
    const p = planTrust({ caPem: caA, address: formatAddress('10.100.153.175', 5000), owner: OWNER, dirs: [{ kind: 'containerd', certsDir: hostDir }] });
    const want = p.dirs[0].files.find((f) => f.name === 'hosts.toml').content;
    assert.is(want, hostsToml('10.100.153.175:5000', `${hostDir}/10.100.153.175:5000/ca.crt`));
    assert.is(readFileSync(sb.path('containerd', '10.100.153.175:5000', 'hosts.toml'), 'utf8'), want);
    assert.equal(listTree(join(sb.root, DEFAULT_CERTS_DIRS.docker)), [], 'docker off: untouched');
  } finally { sb.cleanup(); }
});

test.run();
