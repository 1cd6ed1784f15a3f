// Publishing for real: `creg-chart publish` pushes with helm to the real
// Distribution registry over TLS (certificate from our signer, htpasswd
// bcrypt auth), pulls it back and templates the pulled chart for a cluster;
// and writes a classic chart repository folder read back with `helm repo
// add` / `helm pull` from a Node HTTP server on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';
import { parse } from 'yaml';
import { HELMS, ROOT, find, parseManifests, tempDir } from './helpers/chart.mjs';
import { have, signCertificates, startRegistry, writeHtpasswd } from './helpers/registry.mjs';

const cli = join(ROOT, 'bin', 'creg-chart.js');
const clusters = join(ROOT, 'test', 'fixtures', 'clusters');
const work = tempDir('creg-publish-test-');
const PASSWORD = 'pa55 w0rd$`"\\-creg';
const USER = 'ci-pusher';
const helm4 = HELMS.find((h) => h.label === 'helm4');
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

// helm as seen by creg-chart: a wrapper that records every argument list and
// environment, then runs the real Helm 4.
const wrapperLog = join(work, 'helm-calls.log');
const wrapper = join(work, 'helm-wrapper.sh');
writeFileSync(wrapper, `#!/bin/sh\n{ printf 'ARGS:'; printf ' %s' "$@"; printf '\\n'; env; } >> '${wrapperLog}'\nexec '${helm4.bin}' "$@"\n`);
chmodSync(wrapper, 0o755);

// The "user's" helm folders: publishing must leave them untouched.
const userHome = join(work, 'user-home');
const cliTmp = join(work, 'cli-tmp');
mkdirSync(cliTmp);
const userEnv = {
  HELM_BIN: wrapper,
  HELM_CONFIG_HOME: join(userHome, 'config'),
  HELM_CACHE_HOME: join(userHome, 'cache'),
  HELM_DATA_HOME: join(userHome, 'data'),
  TMPDIR: cliTmp,
};

function creg(args, { env = {}, input } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, input, encoding: 'utf8', env: { ...process.env, ...userEnv, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** helm with its own throw-away homes (the test's "other machine"). */
const testHome = join(work, 'test-home');
function helm(bin, args, input) {
  const r = spawnSync(bin, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, HELM_CONFIG_HOME: join(testHome, 'config'), HELM_CACHE_HOME: join(testHome, 'cache'), HELM_DATA_HOME: join(testHome, 'data'), KUBECONFIG: '/dev/null' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same, without blocking the event loop (the repository's HTTP server runs in this process). */
function helmAsync(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...process.env, HELM_CONFIG_HOME: join(testHome, 'config'), HELM_CACHE_HOME: join(testHome, 'cache'), HELM_DATA_HOME: join(testHome, 'data'), KUBECONFIG: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function build(name, args) {
  const dir = join(work, 'builds', name);
  const r = creg(['build', '--output-dir', dir, ...args]);
  if (r.code !== 0) throw new Error(`build ${name} failed: ${r.err}`);
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
}

let registry;
let server;
test.after(() => {
  registry?.stop();
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

const missing = ['docker-registry', 'htpasswd'].filter((b) => !have(b));
if (missing.length) {
  test('docker-registry and htpasswd (apache2-utils) are installed', () => {
    if (process.env.CI) assert.unreachable(`missing ${missing.join(', ')} (required when CI is set)`);
    console.log(`  skipped OCI publishing: ${missing.join(', ')} not installed`);
  });
}

const charts = {};
test('build the charts to publish: 0.1.0, 0.1.0 with other content, 0.2.0', () => {
  charts.v1 = build('v1', []);
  charts.v1other = build('v1other', ['--set', 'registry.port=5001']);
  charts.v2 = build('v2', ['--chart-version', '0.2.0']);
  assert.is.not(sha(charts.v1), sha(charts.v1other), 'same version, different bytes');
});

if (!missing.length) {
  let to;
  let ca;
  test('the real registry runs over TLS (signer certificate) with htpasswd bcrypt auth', async () => {
    const tls = signCertificates(join(work, 'certs'));
    ca = tls.ca;
    writeHtpasswd(join(work, 'htpasswd'), USER, PASSWORD);
    assert.match(readFileSync(join(work, 'htpasswd'), 'utf8'), new RegExp(`^${USER}:\\$2y\\$`), 'bcrypt');
    registry = await startRegistry({ dir: join(work, 'registry'), tls, htpasswd: join(work, 'htpasswd') });
    to = `oci://${registry.host}/charts/team`;
  });

  test('publish without credentials fails and says which flags to add', () => {
    const r = creg(['publish', charts.v1, '--to', to, '--ca-file', ca]);
    assert.is(r.code, 1, r.out + r.err);
    assert.match(r.err, /basic credential not found.*pass --username USER and the password on stdin with --password-stdin/s);
  });

  test('publish with a wrong password: the registry refuses it, the message says so', () => {
    const r = creg(['publish', charts.v1, '--to', to, '--ca-file', ca, '-u', USER], { env: { CREG_REGISTRY_PASSWORD: 'wrong' } });
    assert.is(r.code, 1);
    assert.match(r.err, /helm registry login .* failed: .*401.*The registry refused user ci-pusher with this password/s);
  });

  test('publish without --ca-file: the certificate is not trusted, the message names --ca-file', () => {
    const r = creg(['publish', charts.v1, '--to', to, '-u', USER, '--password-stdin'], { input: PASSWORD });
    assert.is(r.code, 1);
    assert.match(r.err, /x509.*pass --ca-file/s);
  });

  test('publish --to oci:// with --password-stdin pushes; the password is in no argument list, environment, log or user config', () => {
    writeFileSync(wrapperLog, '');
    const r = creg(['publish', charts.v1, '--to', to, '--ca-file', ca, '--username', USER, '--password-stdin'], { input: `${PASSWORD}\n` });
    assert.is(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`Pushed oci://${registry.host}/charts/team/creg:0\\.1\\.0 \\(manifest sha256:[0-9a-f]{64}\\)`));
    const calls = readFileSync(wrapperLog, 'utf8');
    assert.match(calls, /ARGS: registry login 127\.0\.0\.1:\d+ --username ci-pusher --password-stdin --ca-file/);
    assert.match(calls, /ARGS: push .*creg-0\.1\.0\.tgz oci:\/\/.* --ca-file .* --registry-config /);
    assert.not.ok(calls.includes(PASSWORD), 'password reached a helm argument list or environment');
    assert.not.ok((r.out + r.err).includes(PASSWORD), 'password in the output');
    assert.not.ok(existsSync(join(userHome, 'config', 'registry')), "the user's registry config was written");
    assert.equal(readdirSync(cliTmp), [], 'temporary registry config left behind');
  });

  test('Ctrl-C while publishing: the temporary registry config (base64 credentials) is removed', async () => {
    // helm pull is held up, so creg-chart is interrupted after login wrote the config.
    const slow = join(work, 'helm-slow.sh');
    writeFileSync(slow, `#!/bin/sh\ncase "$1" in pull) sleep 30 ;; esac\nexec '${helm4.bin}' "$@"\n`, { mode: 0o755 });
    const child = spawn(process.execPath, [cli, 'publish', charts.v2, '--to', to, '--ca-file', ca, '-u', USER, '--password-stdin'], {
      cwd: work, env: { ...process.env, ...userEnv, HELM_BIN: slow }, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
    });
    child.stdin.end(PASSWORD);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let config;
    for (const deadline = Date.now() + 30_000; !config && Date.now() < deadline;) {
      config = readdirSync(cliTmp).map((d) => join(cliTmp, d, 'registry-config.json')).find((f) => existsSync(f));
      if (!config) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(config, `login wrote the temporary registry config: ${out}`);
    process.kill(-child.pid, 'SIGINT'); // Ctrl-C reaches the whole foreground process group
    const { signal } = await closed;
    assert.is(signal, 'SIGINT', out);
    assert.equal(readdirSync(cliTmp), [], 'nothing left in TMPDIR');
  });

  test('the same again (password from CREG_REGISTRY_PASSWORD) is a no-op success; helm never sees the variable', () => {
    writeFileSync(wrapperLog, '');
    const r = creg(['publish', charts.v1, '--to', to, '--ca-file', ca, '-u', USER], { env: { CREG_REGISTRY_PASSWORD: PASSWORD } });
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /already published with the same content .*nothing to do/);
    assert.not.match(readFileSync(wrapperLog, 'utf8'), /ARGS: push/);
    assert.not.ok(readFileSync(wrapperLog, 'utf8').includes(PASSWORD));
  });

  let pulledDir;
  test('helm pull (Helm 4) gets back the same bytes; creg-chart template of the pulled chart for a cluster', () => {
    const login = helm(helm4.bin, ['registry', 'login', registry.host, '-u', USER, '--password-stdin', '--ca-file', ca], PASSWORD);
    assert.is(login.code, 0, login.err);
    pulledDir = join(work, 'pulled');
    mkdirSync(pulledDir);
    const p = helm(helm4.bin, ['pull', `${to}/creg`, '--version', '0.1.0', '--destination', pulledDir, '--ca-file', ca]);
    assert.is(p.code, 0, p.err);
    const pulled = join(pulledDir, 'creg-0.1.0.tgz');
    assert.is(sha(pulled), sha(charts.v1));
    const t = creg(['template', '--chart', pulled, '-f', join(clusters, 'base.yaml'), '--cluster', join(clusters, 'good', 'cluster-a.yaml'), '-n', 'registry']);
    assert.is(t.code, 0, t.err);
    const objs = parseManifests(t.out);
    assert.is(find(objs, 'Service', 'registry-svc').spec.clusterIP, '10.96.0.50');
    assert.equal(find(objs, 'Deployment').spec.template.spec.nodeSelector, { node: 'registry-a' });
  });

  test('the same version with other content is refused (exit 1) and the registry keeps the old chart; --force replaces it', () => {
    const r = creg(['publish', charts.v1other, '--to', to, '--ca-file', ca, '-u', USER, '--password-stdin'], { input: PASSWORD });
    assert.is(r.code, 1, r.out);
    assert.match(r.err, /already published with different content .*Nothing was pushed\. .*--force/s);
    const again = join(work, 'pulled-again');
    mkdirSync(again);
    assert.is(helm(helm4.bin, ['pull', `${to}/creg`, '--version', '0.1.0', '--destination', again, '--ca-file', ca]).code, 0);
    assert.is(sha(join(again, 'creg-0.1.0.tgz')), sha(charts.v1), 'registry unchanged');

    const f = creg(['publish', charts.v1other, '--to', to, '--ca-file', ca, '-u', USER, '--password-stdin', '--force'], { input: PASSWORD });
    assert.is(f.code, 0, f.err);
    assert.match(f.out, /different content; replacing it \(--force\)/);
    const third = join(work, 'pulled-third');
    mkdirSync(third);
    assert.is(helm(helm4.bin, ['pull', `${to}/creg`, '--version', '0.1.0', '--destination', third, '--ca-file', ca]).code, 0);
    assert.is(sha(join(third, 'creg-0.1.0.tgz')), sha(charts.v1other));
  });
}

if (!missing.length) {
  test('--insecure-skip-tls-verify reaches login, pull and push (no --ca-file needed)', () => {
    const to = `oci://${registry.host}/charts/insecure`;
    const r = creg(['publish', charts.v2, '--to', to, '--insecure-skip-tls-verify', '-u', USER, '--password-stdin'], { input: PASSWORD });
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /Pushed oci:\/\/.*\/charts\/insecure\/creg:0\.2\.0/);
  });

  test('--plain-http pushes to a registry without TLS (with auth) with Helm 4 and Helm 3; a no-op the second time, refused with other content', async () => {
    const plain = await startRegistry({ dir: join(work, 'registry-plain'), tls: null, htpasswd: join(work, 'htpasswd') });
    try {
      const to = `oci://${plain.host}/charts`;
      let r = creg(['publish', charts.v1, '--to', to, '--plain-http', '-u', USER, '--password-stdin'], { input: PASSWORD });
      assert.is(r.code, 0, r.err + plain.log());
      assert.match(r.out, /Pushed oci:\/\/127\.0\.0\.1:\d+\/charts\/creg:0\.1\.0/);
      r = creg(['publish', charts.v1, '--to', to, '--plain-http', '-u', USER, '--password-stdin'], { input: PASSWORD });
      assert.is(r.code, 0, r.err);
      assert.match(r.out, /same content .*nothing to do/);
      // Helm 3 (its registry login has no --plain-http; creg-chart passes --insecure there).
      const helm3 = { HELM_BIN: HELMS.find((h) => h.label === 'helm3').bin };
      r = creg(['publish', charts.v2, '--to', to, '--plain-http', '-u', USER, '--password-stdin'], { input: PASSWORD, env: helm3 });
      assert.is(r.code, 0, r.err);
      assert.match(r.out, /Pushed oci:\/\/127\.0\.0\.1:\d+\/charts\/creg:0\.2\.0 .*\(helm v3\.17|helm v3\.17[\s\S]*Pushed/);
      r = creg(['publish', charts.v1other, '--to', to, '--plain-http', '-u', USER, '--password-stdin'], { input: PASSWORD, env: helm3 });
      assert.is(r.code, 1, r.out);
      assert.match(r.err, /already published with different content/);
    } finally {
      plain.stop();
    }
  });
}

test('bad --to and flag mixes are usage errors (exit 2) that say what to write', () => {
  let r = creg(['publish', charts.v1, '--to', 'https://registry.example.com/charts']);
  assert.is(r.code, 2);
  assert.match(r.err, /--to: expected oci:\/\/HOST\[:PORT\]\/PATH/);
  r = creg(['publish', charts.v1, '--to', 'oci://bob:hunter2@registry.example.com/charts']);
  assert.is(r.code, 2);
  assert.match(r.err, /do not put credentials in the URL/);
  assert.not.match(r.err, /hunter2/);
  r = creg(['publish', charts.v1]);
  assert.is(r.code, 2);
  assert.match(r.err, /Say where to publish: --to oci:\/\/HOST\[:PORT\]\/PATH .* or --to-dir DIR/);
  r = creg(['publish', charts.v1, '--to-dir', join(work, 'x'), '-u', 'bob']);
  assert.is(r.code, 2);
  assert.match(r.err, /--username applies to --to/);
  r = creg(['publish', join(work, 'nope.tgz'), '--to-dir', join(work, 'x')]);
  assert.is(r.code, 2);
  assert.match(r.err, /nope\.tgz: no such file/);
  r = creg(['publish', charts.v1, '--to', 'oci://127.0.0.1:1/charts', '-u', 'bob']);
  assert.is(r.code, 2);
  assert.match(r.err, /needs a password: pipe it in with --password-stdin, or set CREG_REGISTRY_PASSWORD/);
});

// ------------------------------------------------------- repository folder
const repo = join(work, 'repo');
let repoUrl;
test('a Node HTTP server on 127.0.0.1 serves the repository folder', async () => {
  mkdirSync(repo);
  server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/charts\/?/, '');
    const file = join(repo, rel);
    if (!file.startsWith(repo) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  repoUrl = `http://127.0.0.1:${server.address().port}/charts`;
});

const indexOf = () => parse(readFileSync(join(repo, 'index.yaml'), 'utf8'));

test('publish --to-dir twice (0.1.0, then 0.2.0): index.yaml keeps both, with --url addresses and digests', () => {
  let r = creg(['publish', charts.v1, '--to-dir', repo, '--url', repoUrl]);
  assert.is(r.code, 0, r.err);
  r = creg(['publish', charts.v2, '--to-dir', repo, '--url', `${repoUrl}/`]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /index\.yaml lists 2 version\(s\) of creg/);
  const entries = indexOf().entries.creg;
  assert.equal(entries.map((e) => e.version).sort(), ['0.1.0', '0.2.0']);
  for (const e of entries) {
    assert.equal(e.urls, [`${repoUrl}/creg-${e.version}.tgz`]);
    assert.is(e.digest, sha(join(repo, `creg-${e.version}.tgz`)));
  }
  assert.equal(readdirSync(repo).sort(), ['creg-0.1.0.tgz', 'creg-0.2.0.tgz', 'index.yaml'], 'no staging left');
});

for (const h of HELMS) {
  test(`[${h.label}] helm repo add + helm pull read both versions back byte for byte`, async () => {
    const name = `creg-${h.label}`;
    let r = await helmAsync(h.bin, ['repo', 'add', name, repoUrl, '--force-update']);
    assert.is(r.code, 0, r.err);
    for (const [version, built] of [['0.1.0', charts.v1], ['0.2.0', charts.v2]]) {
      const dest = join(work, `repo-pull-${h.label}-${version}`);
      mkdirSync(dest);
      r = await helmAsync(h.bin, ['pull', `${name}/creg`, '--version', version, '--destination', dest]);
      assert.is(r.code, 0, r.err);
      assert.is(sha(join(dest, `creg-${version}.tgz`)), sha(built));
    }
  });
}

test('--to-dir: same content again is a no-op (index untouched); other content is refused; --force replaces it and keeps 0.2.0', async () => {
  const before = readFileSync(join(repo, 'index.yaml'), 'utf8');
  let r = creg(['publish', charts.v1, '--to-dir', repo, '--url', repoUrl]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /already in the repository with the same content/);
  assert.is(readFileSync(join(repo, 'index.yaml'), 'utf8'), before);

  r = creg(['publish', charts.v1other, '--to-dir', repo, '--url', repoUrl]);
  assert.is(r.code, 1);
  assert.match(r.err, /creg-0\.1\.0\.tgz already exists with different content .*Nothing was changed\..*--force/s);
  assert.is(readFileSync(join(repo, 'index.yaml'), 'utf8'), before);
  assert.is(sha(join(repo, 'creg-0.1.0.tgz')), sha(charts.v1));

  r = creg(['publish', charts.v1other, '--to-dir', repo, '--url', repoUrl, '--force']);
  assert.is(r.code, 0, r.err);
  const entries = indexOf().entries.creg;
  assert.equal(entries.map((e) => e.version).sort(), ['0.1.0', '0.2.0']);
  assert.is(entries.find((e) => e.version === '0.1.0').digest, sha(charts.v1other));
  assert.is(entries.find((e) => e.version === '0.2.0').digest, sha(charts.v2));
  const name = 'creg-forced';
  assert.is((await helmAsync(helm4.bin, ['repo', 'add', name, repoUrl, '--force-update'])).code, 0);
  const dest = join(work, 'repo-pull-forced');
  mkdirSync(dest);
  const p = await helmAsync(helm4.bin, ['pull', `${name}/creg`, '--version', '0.1.0', '--destination', dest]);
  assert.is(p.code, 0, p.err);
  assert.is(sha(join(dest, 'creg-0.1.0.tgz')), sha(charts.v1other));
});

test('--to-dir with a broken index.yaml: nothing changes, the message names the file', () => {
  const broken = join(work, 'broken-repo');
  mkdirSync(broken);
  writeFileSync(join(broken, 'index.yaml'), 'entries: [\n');
  const r = creg(['publish', charts.v1, '--to-dir', broken]);
  assert.is(r.code, 1);
  assert.match(r.err, /index\.yaml: not a readable chart repository index/);
  assert.equal(readdirSync(broken), ['index.yaml']);
});

test.run();
