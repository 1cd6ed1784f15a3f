// The registry pod as the chart runs it: not root. The init container's mode of
// the bundled signer (prepare-tls) and the real Distribution registry both run
// as the chart's registry.runAsUser:runAsGroup, reading the TLS Secret the way
// the kubelet mounts it (owner root, group fsGroup, mode 0440), with the data
// directory owned by that user (what the mount DaemonSet's hand-over does).
// skopeo pushes over TLS. The counter-checks show why each part matters: a
// Secret mounted 0400 for root leaves the pod on its bootstrap certificate,
// and a data directory still owned by root refuses the push. With auth on, the
// htpasswd Secret is mounted the same way (0440, group fsGroup): tls-setup copies
// it into a 0600 file the registry user owns, and the registry as that user
// serves logins from it; mounted 0400 for root it would leave an empty file.
// The registry here is Debian's docker-registry 2.8 (Distribution 3.1.2, the
// chart's image, is built under /root, which the registry user cannot reach).
// Needs root (to switch users), docker-registry, skopeo and htpasswd.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { have, httpsGetText, skopeoCopy, startRegistry, writeHtpasswd, writeOciLayout } from './helpers/registry.mjs';
import { ROOT, SIGNER_BUNDLE } from './helpers/chart.mjs';

const defaults = parse(readFileSync(join(ROOT, 'schemas', 'values.defaults.yaml'), 'utf8'));
const user = { uid: defaults.registry.runAsUser, gid: defaults.registry.runAsGroup };
const isRoot = process.getuid?.() === 0;
const missing = ['docker-registry', 'skopeo', 'htpasswd'].filter((b) => !have(b));

if (!isRoot || missing.length) {
  test('registry as a non-root user: needs root, docker-registry, skopeo and htpasswd', () => {
    const why = [...(isRoot ? [] : ['not root']), ...missing.map((m) => `${m} missing`)].join(', ');
    if (process.env.CI) assert.unreachable(`${why} (required when CI is set)`);
    console.log(`  skipped registry-nonroot: ${why}`);
  });
} else {
  const work = mkdtempSync(join(tmpdir(), 'creg-nonroot-'));
  chmodSync(work, 0o755); // the registry user must reach its files below
  const running = [];
  test.after(() => {
    running.forEach((r) => r.stop());
    rmSync(work, { recursive: true, force: true });
  });

  /** The TLS Secret as the kubelet mounts it: owner root, group `gid`, `mode`. */
  function secretVolume(name, gid, mode) {
    const dir = join(work, name);
    const s = spawnSync(process.execPath, [SIGNER_BUNDLE, 'sign', '--ip', '127.0.0.1', '--out', dir], { encoding: 'utf8' });
    assert.is(s.status, 0, s.stderr);
    rmSync(join(dir, 'ca.key'));
    chmodSync(dir, 0o755);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) {
      chownSync(join(dir, f), 0, gid);
      chmodSync(join(dir, f), mode);
    }
    return dir;
  }

  /** The tls-setup init container: prepare-tls as the registry user into an emptyDir (0777). */
  function prepareTls(from, to, htpasswd = []) {
    mkdirSync(to);
    chmodSync(to, 0o777);
    const args = ['prepare-tls', '--from', from, '--to', to];
    if (htpasswd.length) args.push('--htpasswd-from', htpasswd[0], '--htpasswd-to', htpasswd[1]);
    const r = spawnSync(process.execPath, [SIGNER_BUNDLE, ...args], { encoding: 'utf8', uid: user.uid, gid: user.gid, cwd: '/' });
    assert.is(r.status, 0, r.stdout + r.stderr);
    return r.stdout + r.stderr;
  }

  test(`defaults: registry.runAsUser:runAsGroup is ${user.uid}:${user.gid}, not root`, () => {
    assert.ok(user.uid > 10000 && user.gid > 10000);
  });

  test('tls-setup as the registry user reads the Secret mounted 0440 for group fsGroup; 0400 for root would leave the bootstrap certificate', () => {
    const out = prepareTls(secretVolume('secret', user.gid, 0o440), join(work, 'certs'));
    assert.match(out, 'using the signed certificate');
    const key = statSync(join(work, 'certs', 'tls.key'));
    assert.is(key.uid, user.uid, 'the key belongs to the registry user');
    assert.is(key.mode & 0o777, 0o600);
    const bad = prepareTls(secretVolume('secret-0400', 0, 0o400), join(work, 'certs-0400'));
    assert.not.match(bad, 'using the signed certificate');
    assert.match(bad, /could not be read|bootstrap/);
  });

  /** The htpasswd Secret as the kubelet mounts it (auth.enabled): owner root, group `gid`, `mode`. */
  function htpasswdVolume(name, gid, mode, password) {
    const dir = join(work, name);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeHtpasswd(join(dir, 'htpasswd'), 'push', password);
    chownSync(join(dir, 'htpasswd'), 0, gid);
    chmodSync(join(dir, 'htpasswd'), mode);
    return join(dir, 'htpasswd');
  }

  test('auth: tls-setup as the registry user copies the htpasswd Secret mounted 0440 for group fsGroup; the registry as that user serves logins from it; 0400 for root would leave an empty file', async () => {
    const password = `pw-${process.pid}-nonroot`;
    const authDir = join(work, 'auth');
    mkdirSync(authDir);
    chmodSync(authDir, 0o777); // the in-memory emptyDir
    const out = prepareTls(secretVolume('secret-auth', user.gid, 0o440), join(work, 'certs-auth'), [htpasswdVolume('auth-secret', user.gid, 0o440, password), join(authDir, 'htpasswd')]);
    assert.match(out, 'using the htpasswd file');
    const st = statSync(join(authDir, 'htpasswd'));
    assert.is(st.uid, user.uid, 'the htpasswd copy belongs to the registry user');
    assert.is(st.mode & 0o777, 0o600);
    const certs = join(work, 'certs-auth');
    const tls = { cert: join(certs, 'tls.crt'), key: join(certs, 'tls.key'), ca: join(work, 'secret-auth', 'ca.crt') };
    const dir = join(work, 'registry-auth');
    mkdirSync(join(dir, 'data'), { recursive: true });
    chmodSync(dir, 0o755);
    chownSync(join(dir, 'data'), user.uid, user.gid);
    const reg = await startRegistry({ dir, tls, user, htpasswd: join(authDir, 'htpasswd'), distribution: '2.8' });
    running.push(reg);
    try {
      const ca = readFileSync(tls.ca);
      const url = `https://${reg.host}/v2/`;
      assert.is((await httpsGetText(url, ca)).status, 401, 'no credentials: 401');
      const basic = (pw) => ({ authorization: `Basic ${Buffer.from(`push:${pw}`).toString('base64')}` });
      assert.is((await httpsGetText(url, ca, basic(password))).status, 200, `the registry user reads its 0600 htpasswd copy:\n${reg.log()}`);
      assert.is((await httpsGetText(url, ca, basic('wrong'))).status, 401, 'a wrong password: 401');
    } finally {
      reg.stop();
    }
    const authRoot = join(work, 'auth-0400');
    mkdirSync(authRoot);
    chmodSync(authRoot, 0o777);
    const bad = prepareTls(secretVolume('secret-auth-0400', user.gid, 0o440), join(work, 'certs-auth-0400'), [htpasswdVolume('auth-secret-0400', 0, 0o400, password), join(authRoot, 'htpasswd')]);
    assert.match(bad, /could not be read \(EACCES\).*wrote an empty htpasswd file/);
    assert.is(readFileSync(join(authRoot, 'htpasswd'), 'utf8'), '');
  });

  test('the real registry as the registry user, data owned by it: skopeo pushes over TLS; a root-owned data directory refuses the push', async () => {
    const layout = join(work, 'oci');
    writeOciLayout(layout, 'v1');
    const trust = join(work, 'trust');
    mkdirSync(trust);
    copyFileSync(join(work, 'secret', 'ca.crt'), join(trust, 'ca.crt'));
    const tls = { cert: join(work, 'certs', 'tls.crt'), key: join(work, 'certs', 'tls.key'), ca: join(work, 'secret', 'ca.crt') };
    for (const [name, owner, ok] of [['owned', user, true], ['root-owned', { uid: 0, gid: 0 }, false]]) {
      const dir = join(work, `registry-${name}`);
      mkdirSync(join(dir, 'data'), { recursive: true });
      chmodSync(dir, 0o755);
      chownSync(join(dir, 'data'), owner.uid, owner.gid); // what the mount DaemonSet's chown -R does (or did not)
      const reg = await startRegistry({ dir, tls, user, distribution: '2.8' });
      running.push(reg);
      const ps = spawnSync('ps', ['-o', 'uid=', '-C', 'docker-registry'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
      assert.ok(ps.includes(String(user.uid)), `a docker-registry process runs as ${user.uid}: ${ps}`);
      const r = skopeoCopy({ from: `oci:${layout}:v1`, to: `docker://${reg.host}/creg-nonroot:v1`, certDir: trust, authFile: join(work, 'auth.json') });
      if (ok) assert.is(r.status, 0, `push failed:\n${r.stderr}\n${reg.log()}`);
      else {
        assert.is.not(r.status, 0, 'a push into a root-owned data directory must fail');
        assert.match(`${r.stderr}\n${reg.log()}`, /permission denied|500 Internal Server Error/i, `${r.stderr}\n${reg.log()}`);
      }
      reg.stop();
    }
  });
}

test.run();
