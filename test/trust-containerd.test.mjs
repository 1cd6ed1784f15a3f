// Real runtimes read the files the node trust script writes:
//   - the bundled signer (local mode) signs a certificate for 127.0.0.1;
//   - the real Distribution registry serves it; skopeo pushes a small OCI image;
//   - node-trust.sh, extracted from the real `helm template` output, writes the
//     certs.d trees into a temporary directory (busybox sh when installed);
//   - a real containerd (Debian's package, own root/state/socket, no CRI,
//     loopback only) pulls with `ctr images pull --hosts-dir <containerd dir>`
//     and unpacks with the native snapshotter; over HTTPS without our CA, or
//     with another CA in the files, the pull fails with an x509 error; when the script
//     then writes the right CA, the same running containerd pulls (no restart);
//   - containerd's CRI plugin (what kubelet calls), configured with
//     registry config_path = that directory, pulls via crictl (built from the
//     Go module proxy by scripts/build-crictl.sh), and fails with x509 when
//     the files hold another CA, and pulls again once they are fixed;
//   - skopeo reads the docker-style and containers-style directories
//     (--src-cert-dir <dir>/<ip>:<port>) likewise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createCertificateAuthority } from '../dist/pki/index.js';
import { HELMS, ROOT, buildChart, helmTemplate, tempDir, trustScriptOf } from './helpers/chart.mjs';
import { CRICTL_BUILD, containerdUnavailable, ctrPull, findCrictl, startContainerd } from './helpers/containerd.mjs';
import { have, skopeoCopy, startRegistry, writeOciLayout } from './helpers/registry.mjs';
import { trustShells } from './helpers/trust.mjs';

const work = tempDir('creg-trust-ctrd-');
const why = containerdUnavailable() || (['docker-registry', 'skopeo'].filter((b) => !have(b)).map((b) => `${b} not installed`)[0] ?? '');
let registry;
let ctrd;
let criCtrd;
const HOST_PATHS = ['/var/lib/containerd', '/run/containerd', '/opt/containerd', '/run/netns', '/etc/cni', '/opt/cni', '/etc/crictl.yaml'];
const hostPathsBefore = HOST_PATHS.filter((p) => existsSync(p));
const { shells, cleanup: cleanupShells } = trustShells();
const shell = shells.find((s) => s.name === 'busybox') ?? shells[0];

test.after(async () => {
  await ctrd?.stop();
  await criCtrd?.stop();
  registry?.stop();
  cleanupShells();
  rmSync(work, { recursive: true, force: true });
});

if (why) {
  test('containerd, ctr, docker-registry and skopeo can run here', () => {
    if (process.env.CI) assert.unreachable(`${why} (required when CI is set)`);
    console.log(`  skipped trust-containerd: ${why}`);
  });
} else {
  const certs = join(work, 'certs');
  const pushTrust = join(work, 'push-trust');
  const nodes = join(work, 'node'); // stands for a node's /etc
  const dirs = {
    containerd: join(nodes, 'containerd', 'certs.d'),
    docker: join(nodes, 'docker', 'certs.d'),
    containers: join(nodes, 'containers', 'certs.d'),
  };
  const caFile = join(work, 'configmap', 'ca.crt'); // what the kubelet mounts from ConfigMap <fullname>-ca
  const emptyHosts = join(work, 'empty-hosts');
  let address;
  let image;
  let trust;

  const runTrust = (ca) => {
    mkdirSync(join(work, 'configmap'), { recursive: true });
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true }); // hostPath type DirectoryOrCreate
    copyFileSync(ca, caFile);
    writeFileSync(join(work, 'configmap', 'cluster-ip'), '127.0.0.1');
    // What the signer pins in Secret <fullname>-ca-pin for the same CA and address.
    mkdirSync(join(work, 'pin'), { recursive: true });
    writeFileSync(join(work, 'pin', 'ca.crt.sha256'), createHash('sha256').update(readFileSync(caFile)).digest('hex'));
    writeFileSync(join(work, 'pin', 'cluster-ip'), '127.0.0.1');
    const r = shell.run(trust.script, trust.argv0, {
      ...trust.env,
      PIN_DIR: join(work, 'pin'),
      // The address as the signer publishes it in the CA ConfigMap (key cluster-ip); the Service env is unset here.
      CLUSTER_IP_FILE: join(work, 'configmap', 'cluster-ip'),
      REGISTRY_PORT: String(registry.port),
      CA_FILE: caFile,
      CONTAINERD_DIR: dirs.containerd,
      CONTAINERD_HOST_DIR: dirs.containerd, // containerd on this machine reads it at this path
      DOCKER_DIR: dirs.docker,
      CONTAINERS_DIR: dirs.containers,
      READY_FILE: join(work, 'ready'),
      MAX_ROUNDS: '1',
    });
    assert.is(r.status, 0, r.out);
    return r;
  };

  test('setup: signer certificate for 127.0.0.1, real registry, image pushed with skopeo, containerd started', async () => {
    const t0 = Date.now();
    const s = spawnSync(process.execPath, [join(ROOT, 'dist', 'signer', 'signer.js'), 'sign', '--ip', '127.0.0.1', '--out', certs], { encoding: 'utf8' });
    assert.is(s.status, 0, s.stderr);
    registry = await startRegistry({ dir: join(work, 'registry'), tls: { cert: join(certs, 'tls.crt'), key: join(certs, 'tls.key'), ca: join(certs, 'ca.crt') } });
    address = `127.0.0.1:${registry.port}`;
    image = `${address}/creg-test/hello:v1`;
    mkdirSync(pushTrust);
    copyFileSync(join(certs, 'ca.crt'), join(pushTrust, 'ca.crt'));
    writeOciLayout(join(work, 'oci'), 'v1');
    const p = skopeoCopy({ from: `oci:${join(work, 'oci')}:v1`, to: `docker://${image}`, certDir: pushTrust });
    assert.is(p.status, 0, `${p.stderr}\n${registry.log()}`);
    const outDir = join(work, 'chart');
    const { chartDir } = await buildChart({ outputDir: outDir });
    trust = trustScriptOf(helmTemplate(HELMS[0].bin, chartDir));
    const t1 = Date.now();
    ctrd = await startContainerd(join(work, 'containerd'));
    console.log(`  shell for node-trust.sh: ${shell.name}; setup ${t1 - t0} ms; containerd up in ${Date.now() - t1} ms`);
    const v = ctrd.ctr(['version']);
    assert.match(v.out, /Server:\s+Version:/);
  });

  // containerd 1.6 treats loopback registries specially: with no hosts.toml for them it speaks plain
  // HTTP (the TLS registry answers 400). A node pulls from a ClusterIP, which is not loopback, so
  // containerd uses HTTPS with the system roots there; `https-only` stands for that: a hosts.toml that
  // only says "HTTPS" and names no CA, as containerd's default for a ClusterIP.
  test('containerd without our CA: the HTTPS pull fails with an x509 error; with no hosts.toml at all it fails too', () => {
    const httpsOnly = join(work, 'https-only');
    mkdirSync(join(httpsOnly, address), { recursive: true });
    writeFileSync(join(httpsOnly, address, 'hosts.toml'), `server = "https://${address}"\n[host."https://${address}"]\n  capabilities = ["pull", "resolve"]\n`);
    let r = ctrPull(ctrd, image, httpsOnly);
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /x509: certificate signed by unknown authority/, r.out);
    for (const hostsDir of [null, emptyHosts]) {
      if (hostsDir) mkdirSync(hostsDir, { recursive: true });
      r = ctrPull(ctrd, image, hostsDir);
      assert.is.not(r.status, 0, r.out);
      assert.match(r.out, /x509|400 Bad Request/, r.out);
    }
  });

  test('containerd with trust files holding another CA: x509 error', () => {
    const other = join(work, 'other-ca.crt');
    writeFileSync(other, createCertificateAuthority({ commonName: 'not the registry CA', validityDays: 30 }).certPem);
    runTrust(other);
    assert.ok(existsSync(join(dirs.containerd, address, 'hosts.toml')));
    const r = ctrPull(ctrd, image, dirs.containerd);
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /x509: certificate signed by unknown authority/, r.out);
  });

  test('node-trust.sh writes the registry CA: the same running containerd pulls and unpacks (native snapshotter)', () => {
    const r = runTrust(join(certs, 'ca.crt'));
    assert.match(r.out, /wrote .*containerd\/certs\.d\/127\.0\.0\.1:\d+\/ca\.crt/);
    const t0 = Date.now();
    const p = ctrPull(ctrd, image, dirs.containerd);
    const ms = Date.now() - t0;
    assert.is(p.status, 0, `${p.out}\n${ctrd.log()}`);
    console.log(`  ctr images pull --hosts-dir: ${ms} ms`);
    const ls = ctrd.ctr(['images', 'ls', '-q']);
    assert.ok(ls.stdout.split('\n').includes(image), ls.out);
    const snaps = ctrd.ctr(['snapshots', '--snapshotter', 'native', 'ls']);
    assert.match(snaps.out, /Committed/, snaps.out);
    // The unpacked layer is a plain directory in the native snapshotter: our file is there.
    const snapDir = join(ctrd.root, 'io.containerd.snapshotter.v1.native', 'snapshots');
    const found = readdirSync(snapDir).map((n) => join(snapDir, n, 'hello.txt')).filter((f) => existsSync(f));
    assert.equal(found.map((f) => readFileSync(f, 'utf8')), ['hello from creg-chart\n']);
  });

  test('skopeo trusts the docker-style and containers-style directories (marker file ignored)', () => {
    for (const kind of ['docker', 'containers']) {
      const dir = join(dirs[kind], address);
      assert.equal(readdirSync(dir).sort(), ['.creg-chart-owner', 'ca.crt']);
      const r = skopeoCopy({ from: `docker://${image}`, to: `oci:${join(work, `pulled-${kind}`)}:v1`, certDir: dir, certDirFlag: '--src-cert-dir' });
      assert.is(r.status, 0, `${kind}: ${r.stderr}`);
    }
    const r = skopeoCopy({ from: `docker://${image}`, to: `oci:${join(work, 'pulled-none')}:v1`, certDir: emptyHosts, certDirFlag: '--src-cert-dir' });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /x509: certificate signed by unknown authority/);
  });

  test('the kubelet\'s path: containerd\'s CRI plugin with config_path = the script\'s directory pulls (crictl); another CA: x509; fixed without restart', async () => {
    const crictl = findCrictl();
    if (!crictl) {
      if (process.env.CI) assert.unreachable(`crictl not found; build it with: ${CRICTL_BUILD}`);
      console.log(`  skipped the CRI check: crictl not found (build it with: ${CRICTL_BUILD})`);
      return;
    }
    const t0 = Date.now();
    criCtrd = await startContainerd(join(work, 'containerd-cri'), { cri: { configPath: dirs.containerd } });
    const info = criCtrd.crictl(['info']);
    assert.is(info.status, 0, info.out);
    assert.is(JSON.parse(info.stdout).config.registry.configPath, dirs.containerd);
    let r = criCtrd.crictl(['pull', image]);
    assert.is(r.status, 0, `${r.out}\n${criCtrd.log()}`);
    console.log(`  CRI containerd up and crictl pull done in ${Date.now() - t0} ms`);
    assert.match(criCtrd.crictl(['images']).out, /127\.0\.0\.1:\d+\/creg-test\/hello\s+v1/);
    assert.is(criCtrd.crictl(['rmi', image]).status, 0);
    const other = join(work, 'other-ca-2.crt');
    writeFileSync(other, createCertificateAuthority({ commonName: 'not the registry CA either', validityDays: 30 }).certPem);
    runTrust(other);
    r = criCtrd.crictl(['pull', image]);
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /x509: certificate signed by unknown authority/);
    runTrust(join(certs, 'ca.crt')); // the DaemonSet's next round after the CA ConfigMap changed
    r = criCtrd.crictl(['pull', image]);
    assert.is(r.status, 0, r.out);
  });

  test('action=remove takes the trust away again: the pull fails', () => {
    assert.is(ctrd.ctr(['images', 'rm', image]).status, 0);
    const r = shell.run(trust.script, trust.argv0, {
      ...trust.env, ACTION: 'remove', CA_FILE: caFile, CLUSTER_IP_FILE: join(work, 'configmap', 'cluster-ip'), CONTAINERD_DIR: dirs.containerd, CONTAINERD_HOST_DIR: dirs.containerd,
      DOCKER_DIR: dirs.docker, CONTAINERS_DIR: dirs.containers, MAX_ROUNDS: '1', READY_FILE: '',
    });
    assert.is(r.status, 0, r.out);
    assert.not.ok(existsSync(join(dirs.containerd, address)));
    const p = ctrPull(ctrd, image, dirs.containerd);
    assert.is.not(p.status, 0, p.out);
    assert.match(p.out, /x509|400 Bad Request/, p.out); // loopback without hosts.toml: plain HTTP, see above
  });

  test('containerd stayed inside its temporary directory (no host containerd paths appeared)', () => {
    assert.equal(HOST_PATHS.filter((p) => existsSync(p)), hostPathsBefore);
    assert.ok(existsSync(join(ctrd.root, 'io.containerd.content.v1.content', 'blobs', 'sha256')));
  });
}

test.run();
