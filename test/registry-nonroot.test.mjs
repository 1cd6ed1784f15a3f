// The registry pod as the chart runs it: not root. The init container's mode of
// the bundled signer (prepare-tls) and the real Distribution registry both run
// as the chart's registry.runAsUser:runAsGroup, reading the TLS Secret the way
// the kubelet mounts it (owner root, group fsGroup, mode 0440), with the data
// directory owned by that user (what the mount DaemonSet's hand-over does).
// skopeo pushes over TLS. The counter-checks show why each part matters: a
// Secret mounted 0400 for root leaves the pod on its bootstrap certificate,
// and a data directory still owned by root refuses the push.
// Needs root (to switch users), docker-registry and skopeo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { have, skopeoCopy, startRegistry, writeOciLayout } from './helpers/registry.mjs';
import { ROOT, SIGNER_BUNDLE } from './helpers/chart.mjs';

const defaults = parse(readFileSync(join(ROOT, 'schemas', 'values.defaults.yaml'), 'utf8'));
const user = { uid: defaults.registry.runAsUser, gid: defaults.registry.runAsGroup };
const isRoot = process.getuid?.() === 0;
const missing = ['docker-registry', 'skopeo'].filter((b) => !have(b));

if (!isRoot || missing.length) {
  test('registry as a non-root user: needs root, docker-registry and skopeo', () => {
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
  function prepareTls(from, to) {
    mkdirSync(to);
    chmodSync(to, 0o777);
    const r = spawnSync(process.execPath, [SIGNER_BUNDLE, 'prepare-tls', '--from', from, '--to', to], { encoding: 'utf8', uid: user.uid, gid: user.gid, cwd: '/' });
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
      const reg = await startRegistry({ dir, tls, user });
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
