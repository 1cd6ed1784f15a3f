// `creg-chart trust` for machines outside the cluster, with --ca-file and
// --address (the --release path needs an API server: test/cluster/trust-release.test.mjs).
// The compiled CLI (bin/creg-chart.js) runs in a child process, as a user runs it:
//   - --print output, and that piping it into dash and busybox sh writes exactly the planned files;
//   - trusting into a temporary --root: the same checks as the node trust script's files;
//   - conflicts and bad input: clear errors, exit codes, nothing written;
//   - with the real registry: containerd (ctr --hosts-dir) and skopeo pull using what it wrote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, readdirSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority } from '../dist/pki/index.js';
import { DEFAULT_CERTS_DIRS, formatAddress, planTrust } from '../dist/trust/plan.js';
import { ROOT, tempDir } from './helpers/chart.mjs';
import { containerdUnavailable, ctrPull, startContainerd } from './helpers/containerd.mjs';
import { have, skopeoCopy, startRegistry, writeOciLayout } from './helpers/registry.mjs';
import { assertPlanOnDisk, listTree, trustShells } from './helpers/trust.mjs';

const CLI = join(ROOT, 'bin', 'creg-chart.js');
const LOCAL_OWNER = 'local/creg-chart-trust';
const KINDS = ['containerd', 'docker', 'containers'];
const work = tempDir('creg-trust-cmd-');
const { shells, cleanup: cleanupShells } = trustShells();
const caA = createCertificateAuthority({ commonName: 'cmd A', validityDays: 30 });
const caB = createCertificateAuthority({ commonName: 'cmd B', validityDays: 30 });
const caFileA = join(work, 'a.crt');
const caFileB = join(work, 'b.crt');
writeFileSync(caFileA, caA.certPem);
writeFileSync(caFileB, caB.certPem);
let registry;
let ctrd;

test.after(async () => {
  await ctrd?.stop();
  registry?.stop();
  cleanupShells();
  rmSync(work, { recursive: true, force: true });
});

function cli(args, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, 'trust', ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

const plan = (caPem, address = '10.100.153.175:5000', owner = LOCAL_OWNER, kinds = KINDS, dirs = DEFAULT_CERTS_DIRS) => {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return planTrust({ caPem, address: formatAddress(host, port), owner, dirs: kinds.map((kind) => ({ kind, certsDir: dirs[kind] })) });
};

/** A machine root with /etc/containerd, /etc/docker and /etc/containers (all runtimes present), or `only` those. */
const newRoot = (only = KINDS) => {
  const r = tempDir('creg-trust-cmd-root-');
  for (const k of only) mkdirSync(join(r, DEFAULT_CERTS_DIRS[k], '..'), { recursive: true });
  return { root: r, cleanup: () => rmSync(r, { recursive: true, force: true }) };
};
const RUNTIME_DIRS = ['etc/', 'etc/containerd/', 'etc/containers/', 'etc/docker/'];

test('--print shows the commands and files, writes nothing, and the output run by sh writes exactly the plan', () => {
  const r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--print']);
  assert.is(r.status, 0, r.out);
  assert.is(r.stderr, '');
  const text = r.stdout;
  assert.ok(text.startsWith('#!/bin/sh\n'));
  assert.match(text, /# registry 10\.100\.153\.175:5000, CA from --ca-file /);
  for (const k of KINDS) assert.match(text, new RegExp(`mkdir -p '${DEFAULT_CERTS_DIRS[k]}/10\\.100\\.153\\.175:5000'`));
  assert.match(text, /mv -f '\/etc\/containerd\/certs\.d\/10\.100\.153\.175:5000\/\.hosts\.toml\.tmp\.creg' '\/etc\/containerd\/certs\.d\/10\.100\.153\.175:5000\/hosts\.toml'/);
  assert.ok(text.includes(caA.certPem.trim()), 'the CA in a here-document');
  assert.not.match(text, /PRIVATE KEY/);
  for (const k of KINDS) assert.not.ok(existsSync(`${DEFAULT_CERTS_DIRS[k]}/10.100.153.175:5000`), '--print wrote nothing');
  for (const sh of shells) {
    const { root, cleanup } = newRoot();
    try {
      const p = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--print', '--root', root]);
      assert.is(p.status, 0, p.out);
      assert.is(sh.run(p.stdout, 'sh', {}).status, 0, `${sh.name} ran the printed script`);
      assertPlanOnDisk(root, plan(caA.certPem));
      assert.is(sh.run(p.stdout, 'sh', {}).status, 0, `${sh.name}: running it again is fine (our marker)`);
      // A foreign ca.crt in one runtime's directory: the printed script stops before writing anything.
      const { root: root2, cleanup: c2 } = newRoot();
      try {
        const theirs = join(root2, DEFAULT_CERTS_DIRS.containers, '10.100.153.175:5000', 'ca.crt');
        mkdirSync(join(theirs, '..'), { recursive: true });
        writeFileSync(theirs, caB.certPem);
        const p2 = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--print', '--root', root2]);
        const before = listTree(root2);
        const r2 = sh.run(p2.stdout, 'sh', {});
        assert.is(r2.status, 1, r2.out);
        assert.match(r2.out, /containers\/certs\.d\/10\.100\.153\.175:5000 holds a ca\.crt\/hosts\.toml that creg-chart \(local\/creg-chart-trust\) did not write; move it away first/);
        assert.equal(listTree(root2), before);
        assert.is(readFileSync(theirs, 'utf8'), caB.certPem);
      } finally { c2(); }
    } finally { cleanup(); }
  }
});

test('trust into --root writes the same files as the node trust script would (plan.ts), atomically, idempotently', () => {
  const { root, cleanup } = newRoot();
  try {
    let r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assertPlanOnDisk(root, plan(caA.certPem));
    assert.match(r.stdout, /containerd: wrote \.creg-chart-owner, ca\.crt, hosts\.toml in /);
    assert.match(r.stdout, /This machine now trusts 10\.100\.153\.175:5000/);
    assert.match(r.stdout, /config_path/);
    const ca = join(root, DEFAULT_CERTS_DIRS.docker, '10.100.153.175:5000', 'ca.crt');
    const before = statSync(ca);
    r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stdout, /docker: .* already up to date/);
    assert.is(statSync(ca).ino, before.ino, 'second run rewrote nothing');
    assert.is(statSync(ca).mtimeMs, before.mtimeMs);
    r = cli(['--ca-file', caFileB, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assertPlanOnDisk(root, plan(caB.certPem));
    assert.is.not(statSync(ca).ino, before.ino, 'replaced by rename');
    assert.match(r.stdout, /docker: wrote ca\.crt in /);
  } finally { cleanup(); }
});

test('a second address is added (one machine may trust several clusters); --remove deletes only creg-chart\'s files', () => {
  const { root, cleanup } = newRoot();
  try {
    const foreign = {
      [join(root, DEFAULT_CERTS_DIRS.containerd, 'docker.io', 'hosts.toml')]: '[host."https://mirror.example"]\n',
      [join(root, DEFAULT_CERTS_DIRS.docker, 'README')]: 'not ours\n',
      [join(root, DEFAULT_CERTS_DIRS.docker, '10.100.153.175:5000', 'client.cert')]: 'a client cert\n',
      [join(root, DEFAULT_CERTS_DIRS.containers, '10.0.0.9:5000', '.creg-chart-owner')]: 'registry/other-creg\n',
      [join(root, DEFAULT_CERTS_DIRS.containers, '10.0.0.9:5000', 'ca.crt')]: 'other release CA\n',
      [join(root, DEFAULT_CERTS_DIRS.containers, '10.0.0.8:5000', 'ca.crt')]: 'hand-made trust\n',
    };
    for (const [p, text] of Object.entries(foreign)) {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, text);
    }
    let r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assertPlanOnDisk(root, plan(caA.certPem), { foreign: ['client.cert'] });
    r = cli(['--ca-file', caFileB, '--address', '10.100.9.9:443', '--root', root]);
    assert.is(r.status, 0, r.out);
    assertPlanOnDisk(root, plan(caA.certPem), { foreign: ['client.cert'] });
    assertPlanOnDisk(root, plan(caB.certPem, '10.100.9.9:443'));
    // --remove --address: that address only.
    r = cli(['--remove', '--address', '10.100.9.9:443', '--root', root]);
    assert.is(r.status, 0, r.out);
    for (const k of KINDS) assert.not.ok(existsSync(join(root, DEFAULT_CERTS_DIRS[k], '10.100.9.9:443')), k);
    assert.match(r.stdout, /removed .*containerd\/certs\.d\/10\.100\.9\.9:443/);
    assertPlanOnDisk(root, plan(caA.certPem), { foreign: ['client.cert'] });
    // --remove --print, run by sh: every address of the owner; foreign files and other owners stay.
    const p = cli(['--remove', '--print', '--root', root]);
    assert.is(p.status, 0, p.out);
    assert.match(p.stdout, /^#!\/bin\/sh\n# creg-chart trust --remove: delete the trust files of local\/creg-chart-trust/);
    const sh = shells[shells.length - 1];
    const ran = sh.run(p.stdout, 'sh', {});
    assert.is(ran.status, 0, ran.out);
    assert.match(ran.out, /removed our files from .*docker\/certs\.d\/10\.100\.153\.175:5000 \(other files kept\)/);
    for (const k of ['containerd', 'containers']) assert.not.ok(existsSync(join(root, DEFAULT_CERTS_DIRS[k], '10.100.153.175:5000')), k);
    assert.equal(listTree(join(root, DEFAULT_CERTS_DIRS.docker, '10.100.153.175:5000')), ['client.cert']);
    for (const [f, text] of Object.entries(foreign)) assert.is(readFileSync(f, 'utf8'), text, f);
    r = cli(['--remove', '--root', root]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stdout, /Nothing to remove: no trust directory of local\/creg-chart-trust in /);
    // Another owner's files (a node trust DaemonSet's): only with --owner.
    r = cli(['--remove', '--owner', 'registry/other-creg', '--root', root]);
    assert.is(r.status, 0, r.out);
    assert.not.ok(existsSync(join(root, DEFAULT_CERTS_DIRS.containers, '10.0.0.9:5000')));
    assert.is(readFileSync(join(root, DEFAULT_CERTS_DIRS.containers, '10.0.0.8:5000', 'ca.crt'), 'utf8'), 'hand-made trust\n');
  } finally { cleanup(); }
});

test('a conflicting foreign ca.crt: exit 1, says what to do, and NOTHING is written in any runtime', () => {
  const { root, cleanup } = newRoot();
  try {
    const theirs = join(root, DEFAULT_CERTS_DIRS.docker, '10.100.153.175:5000', 'ca.crt');
    mkdirSync(join(theirs, '..'), { recursive: true });
    writeFileSync(theirs, caB.certPem);
    const before = listTree(root);
    let r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 1, r.out);
    assert.match(r.stderr, /^Error: .*docker\/certs\.d\/10\.100\.153\.175:5000\/ca\.crt exists but was not written by creg-chart .* Move it away and run creg-chart trust again/);
    assert.equal(listTree(root), before, 'containerd and containers untouched too');
    // The same CA put there by hand: accepted, left as is.
    writeFileSync(theirs, caA.certPem);
    r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stdout, /docker: .* already trusts this CA \(files not written by creg-chart/);
    assert.equal(listTree(join(root, DEFAULT_CERTS_DIRS.docker, '10.100.153.175:5000')), ['ca.crt']);
    // A directory the node trust DaemonSet manages (other owner): same files are fine, others are not touched.
    const { root: root2, cleanup: c2 } = newRoot();
    try {
      const ds = plan(caA.certPem, '10.100.153.175:5000', 'registry/eyoh-creg', ['containerd']);
      for (const f of ds.dirs[0].files) { mkdirSync(join(root2, ds.dirs[0].addressDir), { recursive: true }); writeFileSync(join(root2, f.path), f.content); }
      r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root2, '--runtime', 'containerd']);
      assert.is(r.status, 0, r.out);
      assert.match(r.stdout, /already trusts this CA \(creg-chart release registry\/eyoh-creg/);
      r = cli(['--ca-file', caFileB, '--address', '10.100.153.175:5000', '--root', root2, '--runtime', 'containerd']);
      assert.is(r.status, 1, r.out);
      assert.match(r.stderr, /is managed by creg-chart release registry\/eyoh-creg/);
      assertPlanOnDisk(root2, ds);
    } finally { c2(); }
  } finally { cleanup(); }
});

test('without --runtime: only the runtimes this machine has; none: a clear error', () => {
  const { root, cleanup } = newRoot(['docker']);
  try {
    let r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stderr, /Skipping containerd \(no .*\/etc\/containerd\), containers \(no .*\/etc\/containers\); add --runtime containerd to write it anyway/);
    assertPlanOnDisk(root, plan(caA.certPem, '10.100.153.175:5000', LOCAL_OWNER, ['docker']));
    assert.equal(listTree(root).filter((p) => p.endsWith('/')), ['etc/', 'etc/docker/', 'etc/docker/certs.d/', 'etc/docker/certs.d/10.100.153.175:5000/']);
  } finally { cleanup(); }
  const { root: empty, cleanup: c2 } = newRoot([]);
  try {
    const r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', empty]);
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /No container runtime configuration found on this machine \(.*\/etc\/containerd, .*\/etc\/docker, .*\/etc\/containers do not exist\)\. Name the runtimes .* with --runtime/);
    assert.equal(listTree(empty), []);
  } finally { c2(); }
});

test('--runtime and --*-dir select what is written (k3s path)', () => {
  const { root, cleanup } = newRoot();
  try {
    const k3s = '/var/lib/rancher/k3s/agent/etc/containerd/certs.d';
    const r = cli(['--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root, '--runtime', 'containerd', '--containerd-dir', k3s]);
    assert.is(r.status, 0, r.out);
    assertPlanOnDisk(root, plan(caA.certPem, '10.100.153.175:5000', LOCAL_OWNER, ['containerd'], { containerd: k3s }));
    assert.match(readFileSync(join(root, k3s, '10.100.153.175:5000', 'hosts.toml'), 'utf8'), new RegExp(`ca = "${k3s}/10\\.100\\.153\\.175:5000/ca\\.crt"`));
    assert.equal(listTree(root).filter((p) => p.startsWith('etc')), RUNTIME_DIRS, 'nothing under /etc written');
  } finally { cleanup(); }
});

test('bad input: clear errors naming the flag, exit 2, nothing written', () => {
  const { root, cleanup } = newRoot();
  try {
    const keyFile = join(work, 'with-key.pem');
    writeFileSync(keyFile, caA.certPem + caA.keyPem);
    const notPem = join(work, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    const fifo = join(work, 'fifo.crt');
    spawnSync('mkfifo', [fifo]);
    const bigFile = join(work, 'big.crt');
    writeFileSync(bigFile, Buffer.alloc(2 * 1024 * 1024, 65));
    const cases = [
      [[], /Say which registry to trust: --release NAME .* or --ca-file ca\.crt --address IP:PORT/],
      [['--ca-file', caFileA], /Say which registry to trust/],
      [['--release', 'eyoh', '--ca-file', caFileA, '--address', '1.2.3.4:5000'], /either --release .* or --ca-file with --address, not both/],
      [['--ca-file', join(work, 'missing.crt'), '--address', '10.0.0.1:5000'], /--ca-file .*missing\.crt: cannot read the CA certificate: the file does not exist/],
      [['--ca-file', '/dev/zero', '--address', '10.0.0.1:5000'], /--ca-file \/dev\/zero: cannot read the CA certificate: it is a device; give a regular file/],
      [['--ca-file', fifo, '--address', '10.0.0.1:5000'], /--ca-file .*fifo\.crt: cannot read the CA certificate: it is a FIFO/],
      [['--ca-file', bigFile, '--address', '10.0.0.1:5000'], /--ca-file .*big\.crt: the CA certificate is \d+ bytes; at most 1048576 bytes are read/],
      [['--ca-file', keyFile, '--address', '10.0.0.1:5000'], /--ca-file .* holds a private key; give the CA certificate \(ca\.crt\) only/],
      [['--ca-file', notPem, '--address', '10.0.0.1:5000'], /does not hold a PEM certificate/],
      [['--ca-file', caFileA, '--address', '10.0.0.1'], /--address must be the registry's IP:PORT .* not "10\.0\.0\.1"/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:70000'], /port must be a number from 1 to 65535/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000/x'], /--address must be/],
      [['--ca-file', caFileA, '--address', '300.0.0.1:5000'], /"300\.0\.0\.1" is not an IP address or host name/],
      [['--ca-file', caFileA, '--address', "10.0.0.1';rm -rf /:5000"], /--address must be|is not an IP address/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--docker-dir', 'etc/docker/certs.d'], /--docker-dir must be an absolute directory/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--containerd-dir', '/etc/../tmp'], /--containerd-dir must be an absolute directory/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'cri-o'], /Invalid values:[\s\S]*runtime/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--root', 'rel'], /--root must be an absolute directory/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--root', join(root, 'nope')], /--root .*nope is not an existing directory/],
      [['--release', 'Bad_Name'], /--release must be a Helm release name/],
      [['--remove', '--ca-file', caFileA], /--remove needs no --ca-file/],
      [['--remove', '--release', 'eyoh', '--address', '10.0.0.1:5000'], /With --remove, give --release .* or --owner\/--address, not both/],
      [['--remove', '--owner', 'nope'], /The owner must be <namespace>\/<fullname>, not "nope"/],
      [['--remove', '--address', '10.0.0.1'], /--address must be/],
      [['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--owner', 'a/b'], /--owner is for --remove only/],
    ];
    for (const [args, msg] of cases) {
      const r = cli([...args, ...(args.includes('--root') ? [] : ['--root', root])]);
      assert.is(r.status, 2, `${args.join(' ')}: ${r.out}`);
      assert.match(r.stderr, msg, args.join(' '));
      assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
    assert.equal(listTree(root), RUNTIME_DIRS);
  } finally { cleanup(); }
});

test('no permission to write the trust directories: exit 1, says to run as root or pipe --print into sudo sh', () => {
  if (process.getuid() !== 0 || !have('setpriv')) {
    console.log('  skipped the permission check: needs root and setpriv to run the CLI as nobody');
    return;
  }
  const { root, cleanup } = newRoot();
  try {
    chmodSync(root, 0o755);
    chmodSync(work, 0o755); // nobody must read the CA file (not the certs.d directories)
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'trust',
      '--ca-file', caFileA, '--address', '10.100.153.175:5000', '--root', root], { encoding: 'utf8' });
    assert.is(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^Error: Cannot write .*\/etc\/containerd\/certs\.d\/10\.100\.153\.175:5000 \(EACCES\): the certs\.d directories belong to root\. Run as root \(sudo creg-chart trust \.\.\.\), or pipe `creg-chart trust \.\.\. --print` into `sudo sh`/);
    assert.equal(listTree(root), RUNTIME_DIRS);
  } finally {
    chmodSync(work, 0o700);
    cleanup();
  }
});

const why = containerdUnavailable() || (['docker-registry', 'skopeo'].filter((b) => !have(b)).map((b) => `${b} not installed`)[0] ?? '');
if (why) {
  test('real registry check can run here', () => {
    if (process.env.CI) assert.unreachable(`${why} (required when CI is set)`);
    console.log(`  skipped the real-registry part: ${why}`);
  });
} else {
  test('with the real registry: containerd and skopeo pull using what creg-chart trust wrote', async () => {
    const certs = join(work, 'certs');
    const s = spawnSync(process.execPath, [join(ROOT, 'dist', 'signer', 'signer.js'), 'sign', '--ip', '127.0.0.1', '--out', certs], { encoding: 'utf8' });
    assert.is(s.status, 0, s.stderr);
    registry = await startRegistry({ dir: join(work, 'registry'), tls: { cert: join(certs, 'tls.crt'), key: join(certs, 'tls.key'), ca: join(certs, 'ca.crt') } });
    const address = `127.0.0.1:${registry.port}`;
    const image = `${address}/creg-test/cmd:v1`;
    mkdirSync(join(work, 'push'));
    writeFileSync(join(work, 'push', 'ca.crt'), readFileSync(join(certs, 'ca.crt')));
    writeOciLayout(join(work, 'oci'), 'v1', 'pulled via creg-chart trust\n');
    const p = skopeoCopy({ from: `oci:${join(work, 'oci')}:v1`, to: `docker://${image}`, certDir: join(work, 'push') });
    assert.is(p.status, 0, p.stderr);
    // The directories as this machine's runtimes would see them (no --root: hosts.toml names the real path).
    const machine = join(work, 'machine');
    mkdirSync(machine); // the runtimes' configuration directory: all three are found there
    const dirs = { containerd: join(machine, 'containerd'), docker: join(machine, 'docker'), containers: join(machine, 'containers') };
    // Only ca.crt is handed over: the CA key stays where it was made.
    const caOnly = join(work, 'ca-only.crt');
    writeFileSync(caOnly, readFileSync(join(certs, 'ca.crt')));
    const r = cli(['--ca-file', caOnly, '--address', address, '--containerd-dir', dirs.containerd, '--docker-dir', dirs.docker, '--containers-dir', dirs.containers]);
    assert.is(r.status, 0, r.out);
    ctrd = await startContainerd(join(work, 'containerd'));
    const pull = ctrPull(ctrd, image, dirs.containerd);
    assert.is(pull.status, 0, `${pull.out}\n${ctrd.log()}`);
    for (const kind of ['docker', 'containers']) {
      const c = skopeoCopy({ from: `docker://${image}`, to: `oci:${join(work, `out-${kind}`)}:v1`, certDir: join(dirs[kind], address), certDirFlag: '--src-cert-dir' });
      assert.is(c.status, 0, `${kind}: ${c.stderr}`);
    }
    // And with another CA trusted instead, containerd refuses.
    const r2 = cli(['--ca-file', caFileB, '--address', address, '--containerd-dir', dirs.containerd, '--runtime', 'containerd']);
    assert.is(r2.status, 0, r2.out);
    assert.is(ctrd.ctr(['images', 'rm', image]).status, 0);
    const bad = ctrPull(ctrd, image, dirs.containerd);
    assert.is.not(bad.status, 0, bad.out);
    assert.match(bad.out, /x509: certificate signed by unknown authority/);
  });
}

test('an existing address directory others can write (or owned by another user) is refused, nothing written', () => {
  const { root, cleanup } = newRoot(['docker']);
  try {
    const dir = join(root, DEFAULT_CERTS_DIRS.docker, '10.0.0.1:5000');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    let r = cli(['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'docker', '--root', root]);
    assert.is.not(r.status, 0, r.out);
    assert.match(r.stderr, /10\.0\.0\.1:5000 is writable by everyone \(mode 0777\): others could replace the trust files\. Run chmod go-w on it/);
    assert.equal(readdirSync(dir), [], 'nothing written');
    chmodSync(dir, 0o775);
    r = cli(['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'docker', '--root', root]);
    assert.match(r.stderr, /is writable by its group \(mode 0775\)/);
    chmodSync(dir, 0o755);
    chmodSync(join(dir, '..'), 0o777);
    r = cli(['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'docker', '--root', root]);
    assert.match(r.stderr, /certs\.d is writable by everyone/);
    chmodSync(join(dir, '..'), 0o755);
    if (process.getuid() === 0) {
      chownSync(dir, 65534, 65534);
      r = cli(['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'docker', '--root', root]);
      assert.match(r.stderr, /belongs to uid 65534, not to you \(uid 0\) or root: its owner could replace the trust files/);
      chownSync(dir, 0, 0);
    }
    r = cli(['--ca-file', caFileA, '--address', '10.0.0.1:5000', '--runtime', 'docker', '--root', root]);
    assert.is(r.status, 0, r.out);
  } finally { cleanup(); }
});

test.run();
