// Mirror mode on the node (chart-templates/files/node-mirror.sh inside the node
// trust DaemonSet's script), extracted from the real `helm template` output of a
// chart built in mirror mode and run with dash and `busybox sh` against a
// temporary root, as test/trust-script.test.mjs does for the CA files:
//   - the DaemonSet's env, mounts and probe in mirror mode;
//   - per mirror host a containerd hosts.toml (mirror first, upstream as server)
//     and a CRI-O/podman drop-in, byte for byte what src/trust/mirror.ts plans;
//   - ownership: a foreign hosts.toml, another release's directory, a symlink and
//     a foreign drop-in for the same registry are left untouched and reported
//     (log, status file, not ready); the other hosts are still written;
//   - ClusterIP, CA and host-list changes are followed; remove deletes only ours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority } from '../dist/pki/index.js';
import { DEFAULT_CERTS_DIRS, formatAddress } from '../dist/trust/plan.js';
import { DEFAULT_REGISTRIES_DIR, planMirrors } from '../dist/trust/mirror.js';
import { resolveValues } from '../dist/values/index.js';
import { HELMS, buildChart, helmTemplate, tempDir, trustScriptOf, validateObject } from './helpers/chart.mjs';
import { listTree, trustShells } from './helpers/trust.mjs';

const RELEASE = 'hub';
const NS = 'mirrors';
const FULL = 'hub-creg';
const OWNER = `${NS}/${FULL}`;
const UPSTREAM = 'https://registry-1.docker.io';
const outDir = tempDir('creg-mirror-script-');
const { chartDir } = await buildChart({
  outputDir: outDir,
  set: ['mirror.enabled=true', `mirror.upstream=${UPSTREAM}`, 'mirror.hosts[0]=docker.io', 'mirror.hosts[1]=quay.io'],
});
const rendered = helmTemplate(HELMS[0].bin, chartDir, [], RELEASE, NS);
const trust = trustScriptOf(rendered);
const { shells, cleanup: cleanupShells } = trustShells();
const caA = createCertificateAuthority({ commonName: 'mirror A', validityDays: 30 }).certPem;
const caB = createCertificateAuthority({ commonName: 'mirror B', validityDays: 30 }).certPem;

test.after(() => {
  rmSync(outDir, { recursive: true, force: true });
  cleanupShells();
});

function sandbox() {
  const root = tempDir('creg-mirror-root-');
  for (const d of ['pod/ca', 'pod/run', 'pod/pin', DEFAULT_CERTS_DIRS.containerd, DEFAULT_CERTS_DIRS.docker, DEFAULT_CERTS_DIRS.containers, DEFAULT_REGISTRIES_DIR]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const caFile = join(root, 'pod', 'ca', 'ca.crt');
  const ipFile = join(root, 'pod', 'ca', 'cluster-ip');
  const pinDir = join(root, 'pod', 'pin');
  // The signer's part: the ConfigMap's files and the pin Secret's (issue 9: node trust uses only the pinned CA and IP).
  return {
    root,
    setCa(pem) { writeFileSync(caFile, pem); writeFileSync(join(pinDir, 'ca.crt.sha256'), createHash('sha256').update(pem).digest('hex')); },
    setIp(ip) { writeFileSync(ipFile, ip); writeFileSync(join(pinDir, 'cluster-ip'), ip); },
    ready: join(root, 'pod', 'run', 'trusted'),
    status: join(root, 'pod', 'run', 'mirror-status'),
    env(extra = {}) {
      return {
        ...trust.env,
        SERVICE_HOST: '$(REGISTRY_SVC_SERVICE_HOST)',
        CA_FILE: caFile,
        CLUSTER_IP_FILE: ipFile,
        PIN_DIR: pinDir,
        CONTAINERD_DIR: join(root, DEFAULT_CERTS_DIRS.containerd),
        DOCKER_DIR: join(root, DEFAULT_CERTS_DIRS.docker),
        CONTAINERS_DIR: join(root, DEFAULT_CERTS_DIRS.containers),
        CONTAINERS_REGISTRIES_DIR: join(root, DEFAULT_REGISTRIES_DIR),
        READY_FILE: join(root, 'pod', 'run', 'trusted'),
        MIRROR_STATUS_FILE: join(root, 'pod', 'run', 'mirror-status'),
        MAX_ROUNDS: '1',
        ...extra,
      };
    },
    ctrd(...p) { return join(root, DEFAULT_CERTS_DIRS.containerd, ...p); },
    dropIns(...p) { return join(root, DEFAULT_REGISTRIES_DIR, ...p); },
    cleanup() { rmSync(root, { recursive: true, force: true }); },
  };
}

/** The plan for this release, as the DaemonSet sees the node (paths without the sandbox root). */
const plan = (caPem, ip, hosts = ['docker.io', 'quay.io']) => planMirrors({
  caPem, address: formatAddress(ip, 5000), owner: OWNER, upstream: UPSTREAM, hosts,
  containerdDir: DEFAULT_CERTS_DIRS.containerd, registriesDir: DEFAULT_REGISTRIES_DIR,
});

/** Asserts the plan's files are on disk under root, byte for byte, and the drop-in too. */
function assertMirrorsOnDisk(root, p, { skipHosts = [], dropIn = true } = {}) {
  for (const d of p.containerd.dirs) {
    if (skipHosts.includes(d.host)) continue;
    for (const f of d.files) {
      // hosts.toml names ca.crt as the node sees it (CONTAINERD_HOST_DIR), as the plan does.
      assert.is(readFileSync(join(root, f.path), 'utf8'), f.content, f.path);
    }
  }
  if (dropIn) assert.is(readFileSync(join(root, p.containers.file.path), 'utf8'), p.containers.file.content);
}

test('the rendered DaemonSet in mirror mode: hosts and upstream in env, registries.conf.d mounted, probe prints the status, script = node-mirror.sh + node-trust.sh', () => {
  validateObject(trust.daemonSet);
  assert.is(trust.env.MIRROR_HOSTS, 'docker.io quay.io');
  assert.is(trust.env.MIRROR_UPSTREAM, UPSTREAM);
  assert.is(trust.env.CONTAINERS_REGISTRIES_DIR, '/host/containers-registries.conf.d');
  assert.is(trust.env.MIRROR_STATUS_FILE, '/run/creg/mirror-status');
  const pod = trust.daemonSet.spec.template.spec;
  assert.equal(pod.volumes.find((v) => v.name === 'containers-registries').hostPath, { path: DEFAULT_REGISTRIES_DIR, type: 'DirectoryOrCreate' });
  assert.equal(pod.containers[0].readinessProbe.exec.command, ['sh', '-c', 'cat /run/creg/mirror-status 2>/dev/null; test -f /run/creg/trusted']);
  const lib = readFileSync(join(chartDir, 'files', 'node-mirror.sh'), 'utf8');
  const main = readFileSync(join(chartDir, 'files', 'node-trust.sh'), 'utf8');
  assert.is(trust.script.trimEnd(), `${lib}\n${main}`.trimEnd());
  // The registry runs as a pull-through cache of the upstream.
  const rc = rendered.find((o) => o.kind === 'ReplicationController');
  const env = rc.spec.template.spec.containers[0].env;
  assert.equal(env.find((e) => e.name === 'REGISTRY_PROXY_REMOTEURL'), { name: 'REGISTRY_PROXY_REMOTEURL', value: UPSTREAM });
  assert.not.ok(env.some((e) => e.name === 'REGISTRY_PROXY_PASSWORD'), 'no credentials unless a Secret is named');
  // Mirror mode off (the default): empty hosts, so a running DaemonSet removes its mirror files.
  const off = trustScriptOf(helmTemplate(HELMS[1].bin, chartDir, ['--set', 'mirror.enabled=false'], RELEASE, NS));
  assert.is(off.env.MIRROR_HOSTS, '');
  assert.is(off.env.MIRROR_UPSTREAM, '');
});

test('credentials only from an existing Secret (secretKeyRef), ttl as REGISTRY_PROXY_TTL; bad values refused by helm with the schema', () => {
  const objs = helmTemplate(HELMS[1].bin, chartDir, [
    '--set', 'mirror.credentialsSecret.name=dockerhub', '--set', 'mirror.credentialsSecret.passwordKey=token', '--set', 'mirror.ttl=72h', '--set', 'registry.image.tag=3.1.2',
  ], RELEASE, NS);
  const env = objs.find((o) => o.kind === 'ReplicationController').spec.template.spec.containers[0].env;
  assert.equal(env.find((e) => e.name === 'REGISTRY_PROXY_USERNAME').valueFrom, { secretKeyRef: { name: 'dockerhub', key: 'username' } });
  assert.equal(env.find((e) => e.name === 'REGISTRY_PROXY_PASSWORD').valueFrom, { secretKeyRef: { name: 'dockerhub', key: 'token' } });
  assert.equal(env.find((e) => e.name === 'REGISTRY_PROXY_TTL'), { name: 'REGISTRY_PROXY_TTL', value: '72h' });
  for (const [set, why] of [
    ['mirror.upstream=registry-1.docker.io', /at '\/mirror\/upstream': 'registry-1\.docker\.io' does not match pattern/],
    ['mirror.hosts[0]=docker.io"; rm -rf /', /at '\/mirror\/hosts\/0'/],
    ['mirror.ttl=a week', /at '\/mirror\/ttl'/],
    ['mirror.hosts=null', /at '\/mirror'|hosts/],
  ]) {
    let err = '';
    try { helmTemplate(HELMS[0].bin, chartDir, ['--set', set], RELEASE, NS); } catch (e) { err = e.message; }
    assert.match(err, why, `${set}: ${err}`);
  }
});

test('validate: mirror mode needs upstream and hosts; mirror.ttl needs a Distribution 3 image (build refuses what helm install would)', () => {
  const problems = (set) => {
    try { resolveValues({ set }); return []; } catch (e) { return e.problems ?? [e.message]; }
  };
  const on = problems(['mirror.enabled=true']).join('\n');
  assert.match(on, /built-in defaults:\d+: mirror\.upstream: expected URL of the upstream registry.* Mirror mode \(mirror\.enabled\) needs the upstream's URL, e\.g\. https:\/\/registry-1\.docker\.io\./);
  assert.match(on, /mirror\.hosts: expected at least 1 item\(s\), got 0\. Mirror mode \(mirror\.enabled\) needs at least one registry name to mirror, e\.g\. \[docker\.io\]\./);
  const base = ['mirror.enabled=true', `mirror.upstream=${UPSTREAM}`, 'mirror.hosts[0]=docker.io'];
  assert.equal(problems(base), []);
  // The default image is Distribution 3 (issue 10): a TTL is fine with it, refused with a 2.x tag.
  assert.equal(problems([...base, 'mirror.ttl=72h']), []);
  assert.match(problems([...base, 'mirror.ttl=72h', 'registry.image.tag=2.8.3']).join('\n'), /--set mirror\.ttl=72h: mirror\.ttl: needs Distribution >= 3\.0, got "72h" with registry\.image\.tag "2\.8\.3"/);
  assert.equal(problems([...base, 'mirror.ttl=72h', 'registry.image.tag=3.1.2']), []);
  let err = '';
  try { helmTemplate(HELMS[0].bin, chartDir, ['--set', 'mirror.ttl=72h', '--set', 'registry.image.tag=2.8.3'], RELEASE, NS); } catch (e) { err = e.message; }
  assert.match(err, /mirror\.ttl \(72h\) needs Distribution >= 3\.0, but registry\.image\.tag is 2\.8\.3/);
});

for (const shell of shells) {
  test(`${shell.name}: writes the mirror hosts.toml per host and the CRI-O drop-in, exactly as planned; a second round changes nothing`, () => {
    const s = sandbox();
    try {
      s.setCa(caA);
      s.setIp('10.96.0.50');
      let r = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r.status, 0, r.out);
      assertMirrorsOnDisk(s.root, plan(caA, '10.96.0.50'));
      assert.ok(existsSync(s.ready));
      assert.not.ok(existsSync(s.status));
      const hostsToml = readFileSync(s.ctrd('docker.io', 'hosts.toml'), 'utf8');
      assert.match(hostsToml, /^server = "https:\/\/registry-1\.docker\.io"$/m);
      assert.ok(hostsToml.indexOf('server =') < hostsToml.indexOf('[host."https://10.96.0.50:5000"]'));
      // The registry's own address directory (node-trust.sh) is there as before.
      assert.ok(existsSync(s.ctrd('10.96.0.50:5000', 'hosts.toml')));
      r = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r.status, 0, r.out);
      assert.not.match(r.out, /wrote/);
    } finally { s.cleanup(); }
  });

  test(`${shell.name}: with pull credentials (issue 10, AUTH_HEADER_FILE) the mirror hosts.toml carries the Authorization header for the mirror and is 0600`, () => {
    const s = sandbox();
    try {
      s.setCa(caA);
      s.setIp('10.96.0.50');
      const cred = join(s.root, 'pod', 'authorization');
      writeFileSync(cred, `Basic ${Buffer.from('pull:secret').toString('base64')}`);
      const r = shell.run(trust.script, trust.argv0, s.env({ AUTH_HEADER_FILE: cred }));
      assert.is(r.status, 0, r.out);
      const file = s.ctrd('docker.io', 'hosts.toml');
      const hostsToml = readFileSync(file, 'utf8');
      const planned = plan(caA, '10.96.0.50').containerd.dirs.find((d) => d.host === 'docker.io').files.find((f) => f.path.endsWith('hosts.toml')).content;
      assert.is(hostsToml, `${planned.trimEnd()}\n  [host."https://10.96.0.50:5000".header]\n    Authorization = "Basic ${Buffer.from('pull:secret').toString('base64')}"\n`);
      assert.is(statSync(file).mode & 0o777, 0o600);
      assert.not.ok(r.out.includes(Buffer.from('pull:secret').toString('base64')), 'no credential in the log');
      // Credentials withdrawn: back to the planned file, 0644.
      const r2 = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r2.status, 0, r2.out);
      assert.is(readFileSync(file, 'utf8'), planned);
      assert.is(statSync(file).mode & 0o777, 0o644);
    } finally { s.cleanup(); }
  });

  test(`${shell.name}: a foreign hosts.toml, another release's directory, a symlink and a foreign drop-in are left untouched and reported; other hosts are written`, () => {
    const s = sandbox();
    try {
      s.setCa(caA);
      s.setIp('10.96.0.50');
      mkdirSync(s.ctrd('docker.io'));
      const foreign = 'server = "https://my-own-mirror.example"\n';
      writeFileSync(s.ctrd('docker.io', 'hosts.toml'), foreign);
      mkdirSync(s.ctrd('quay.io'));
      writeFileSync(s.ctrd('quay.io', '.creg-chart-mirror'), 'other/quay-creg\n');
      writeFileSync(s.ctrd('quay.io', 'hosts.toml'), 'server = "https://quay.io"\n');
      const theirs = '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n';
      writeFileSync(s.dropIns('10-site.conf'), theirs);
      const before = listTree(s.root);
      const env = s.env({ MIRROR_HOSTS: 'docker.io quay.io ghcr.io registry.k8s.io' });
      symlinkSync('/nonexistent', s.ctrd('registry.k8s.io'));
      const r = shell.run(trust.script, trust.argv0, env);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /left alone: \S+\/docker\.io\/hosts\.toml \(or other files there\) was not written by creg-chart; pulls of docker\.io do not use the mirror on this node until it is removed/);
      assert.match(r.out, /left alone: \S+\/quay\.io is the mirror configuration of other\/quay-creg, not of mirrors\/hub-creg/);
      assert.match(r.out, /left alone: \S+\/registry\.k8s\.io is not a directory creg-chart made/);
      assert.match(r.out, /left alone: \S+10-site\.conf already configures quay\.io/);
      assert.is(readFileSync(s.ctrd('docker.io', 'hosts.toml'), 'utf8'), foreign);
      assert.is(readFileSync(s.ctrd('quay.io', '.creg-chart-mirror'), 'utf8'), 'other/quay-creg\n');
      assert.is(readFileSync(s.dropIns('10-site.conf'), 'utf8'), theirs);
      assert.not.ok(existsSync(s.ctrd('docker.io', '.creg-chart-mirror')));
      // Not ready, and the status file (printed by the readiness probe) says why.
      assert.not.ok(existsSync(s.ready));
      const status = readFileSync(s.status, 'utf8');
      assert.match(status, /docker\.io\/hosts\.toml \(or other files there\) was not written by creg-chart/);
      assert.match(status, /10-site\.conf already configures quay\.io/);
      // ghcr.io is free: written, for containerd and in the drop-in (docker.io too: CRI-O has no foreign entry).
      const p = plan(caA, '10.96.0.50', ['ghcr.io']);
      assertMirrorsOnDisk(s.root, p, { dropIn: false });
      const dropIn = readFileSync(s.dropIns(`creg-chart_${NS}_${FULL}.conf`), 'utf8');
      assert.match(dropIn, /prefix = "docker\.io"/);
      assert.match(dropIn, /prefix = "ghcr\.io"/);
      assert.not.match(dropIn, /prefix = "quay\.io"/);
      const after = listTree(s.root).filter((f) => !before.includes(f));
      assert.equal(after.filter((f) => !f.startsWith('pod/')).sort(), [
        'etc/containerd/certs.d/10.96.0.50:5000/', 'etc/containerd/certs.d/10.96.0.50:5000/.creg-chart-owner', 'etc/containerd/certs.d/10.96.0.50:5000/ca.crt', 'etc/containerd/certs.d/10.96.0.50:5000/hosts.toml',
        'etc/containerd/certs.d/ghcr.io/', 'etc/containerd/certs.d/ghcr.io/.creg-chart-mirror', 'etc/containerd/certs.d/ghcr.io/ca.crt', 'etc/containerd/certs.d/ghcr.io/hosts.toml',
        'etc/containerd/certs.d/registry.k8s.io',
        'etc/containers/certs.d/10.96.0.50:5000/', 'etc/containers/certs.d/10.96.0.50:5000/.creg-chart-owner', 'etc/containers/certs.d/10.96.0.50:5000/ca.crt',
        `etc/containers/registries.conf.d/creg-chart_${NS}_${FULL}.conf`,
        'etc/docker/certs.d/10.96.0.50:5000/', 'etc/docker/certs.d/10.96.0.50:5000/.creg-chart-owner', 'etc/docker/certs.d/10.96.0.50:5000/ca.crt',
      ].sort());
    } finally { s.cleanup(); }
  });

  test(`${shell.name}: follows a new ClusterIP and a new CA; a host dropped from the list or mirror mode off removes only ours; remove deletes exactly what it wrote`, () => {
    const s = sandbox();
    try {
      s.setCa(caA);
      s.setIp('10.96.0.50');
      mkdirSync(s.ctrd('ghcr.io'));
      writeFileSync(s.ctrd('ghcr.io', 'hosts.toml'), 'server = "https://ghcr.io"\n'); // foreign, never ours
      writeFileSync(s.dropIns('10-site.conf'), 'unqualified-search-registries = ["docker.io"]\n');
      let r = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r.status, 0, r.out);
      // New ClusterIP (re-created Service) and new CA: rewritten in place, the old address directory goes.
      s.setIp('10.96.0.77');
      s.setCa(caB);
      r = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r.status, 0, r.out);
      assertMirrorsOnDisk(s.root, plan(caB, '10.96.0.77'));
      assert.not.ok(existsSync(s.ctrd('10.96.0.50:5000')));
      assert.match(readFileSync(s.ctrd('quay.io', 'hosts.toml'), 'utf8'), /\[host\."https:\/\/10\.96\.0\.77:5000"\]/);
      // quay.io leaves the list: its directory goes; docker.io stays.
      r = shell.run(trust.script, trust.argv0, s.env({ MIRROR_HOSTS: 'docker.io' }));
      assert.is(r.status, 0, r.out);
      assert.match(r.out, /removed mirror configuration \S+\/quay\.io/);
      assert.not.ok(existsSync(s.ctrd('quay.io')));
      assertMirrorsOnDisk(s.root, plan(caB, '10.96.0.77', ['docker.io']));
      // Mirror mode off: every mirror file of ours goes, the CA trust stays, foreign files stay.
      r = shell.run(trust.script, trust.argv0, s.env({ MIRROR_HOSTS: '', MIRROR_UPSTREAM: '' }));
      assert.is(r.status, 0, r.out);
      assert.not.ok(existsSync(s.ctrd('docker.io')));
      assert.not.ok(existsSync(s.dropIns(`creg-chart_${NS}_${FULL}.conf`)));
      assert.ok(existsSync(s.ctrd('10.96.0.77:5000', 'ca.crt')));
      // Back on, then remove: only foreign files remain.
      r = shell.run(trust.script, trust.argv0, s.env());
      assert.is(r.status, 0, r.out);
      writeFileSync(s.ctrd('docker.io', 'notes.txt'), 'an operator file in our directory\n');
      r = shell.run(trust.script, trust.argv0, s.env({ ACTION: 'remove' }));
      assert.is(r.status, 0, r.out);
      assert.equal(listTree(join(s.root, 'etc')), [
        'containerd/', 'containerd/certs.d/', 'containerd/certs.d/docker.io/', 'containerd/certs.d/docker.io/notes.txt',
        'containerd/certs.d/ghcr.io/', 'containerd/certs.d/ghcr.io/hosts.toml',
        'containers/', 'containers/certs.d/', 'containers/registries.conf.d/', 'containers/registries.conf.d/10-site.conf',
        'docker/', 'docker/certs.d/',
      ]);
    } finally { s.cleanup(); }
  });
}

test('bad MIRROR_HOSTS or MIRROR_UPSTREAM stop the script before it writes anything', () => {
  const shell = shells[0];
  const s = sandbox();
  try {
    s.setCa(caA);
    s.setIp('10.96.0.50');
    for (const [extra, msg] of [
      [{ MIRROR_HOSTS: 'docker.io ../etc' }, /MIRROR_HOSTS entry '\.\.\/etc' is not a registry host name/],
      [{ MIRROR_UPSTREAM: 'registry-1.docker.io' }, /MIRROR_UPSTREAM must be the upstream's https:\/\/ URL/],
      [{ MIRROR_UPSTREAM: 'https://x.io"\n[host."https://evil"]' }, /holds characters a URL of a registry host does not/],
    ]) {
      const r = shell.run(trust.script, trust.argv0, s.env(extra));
      assert.is(r.status, 2, r.out);
      assert.match(r.out, msg);
    }
    assert.equal(listTree(s.ctrd()), []);
  } finally { s.cleanup(); }
});

test.run();
