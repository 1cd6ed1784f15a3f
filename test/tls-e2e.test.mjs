// End to end: the bundled signer signs for 127.0.0.1, the real Distribution registry serves that
// certificate, and skopeo (a Go TLS client, like containerd) pushes an OCI image to it. Run against
// Distribution 3.1.2 (the chart's default) and, as the one 2.8 compatibility check of the signer's
// certificates, Debian's docker-registry 2.8 (what `registry.image: registry:2.8.3` would run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, httpsJson, skopeoCopy, startRegistry, writeOciLayout } from './helpers/registry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'signer', 'signer.js');
const missing = ['docker-registry', 'skopeo'].filter((b) => !have(b));

const work = mkdtempSync(join(tmpdir(), 'creg-e2e-'));
const registries = [];

const push = (registry, layoutDir, certDir, ref) =>
  skopeoCopy({ from: `oci:${layoutDir}:v1`, to: `docker://127.0.0.1:${registry.port}/${ref}`, certDir, authFile: join(work, 'auth.json') });

test.after(() => {
  for (const r of registries) r.stop();
  rmSync(work, { recursive: true, force: true });
});

if (missing.length) {
  test(`docker-registry and skopeo are installed`, () => {
    if (process.env.CI) assert.unreachable(`missing ${missing.join(', ')} (required when CI is set)`);
    console.log(`  skipped tls-e2e: ${missing.join(', ')} not installed`);
  });
} else {
  const certs = join(work, 'certs');
  const trust = join(work, 'trust'); // like /etc/docker/certs.d/<ip>:<port>/
  const noTrust = join(work, 'no-trust');
  const layout = join(work, 'oci');

  test('bundled signer signs for 127.0.0.1', () => {
    const s = spawnSync(process.execPath, [bundle, 'sign', '--ip', '127.0.0.1', '--out', certs], { encoding: 'utf8' });
    assert.is(s.status, 0, s.stderr);
    assert.not.match(s.stdout + s.stderr, /PRIVATE KEY/);
    mkdirSync(trust);
    mkdirSync(noTrust);
    copyFileSync(join(certs, 'ca.crt'), join(trust, 'ca.crt'));
    writeOciLayout(layout, 'v1');
  });

  for (const distribution of ['3', '2.8']) {
    const D = `[Distribution ${distribution === '3' ? '3.1.2' : '2.8 (Debian, compatibility)'}]`;
    let registry;
    test(`${D} the real registry starts with that certificate`, async () => {
      registry = await startRegistry({
        dir: join(work, `registry-${distribution}`), distribution, tls: { cert: join(certs, 'tls.crt'), key: join(certs, 'tls.key'), ca: join(certs, 'ca.crt') },
      });
      registries.push(registry);
      if (process.env.CI || distribution === '2.8') assert.is(registry.distribution, distribution);
    });

    test(`${D} skopeo pushes an OCI image over TLS trusting only ca.crt`, () => {
      const r = push(registry, layout, trust, 'creg-test:v1');
      assert.is(r.status, 0, `skopeo failed:\n${r.stderr}\n${registry.log()}`);
    });

    test(`${D} GET /v2/_catalog with the CA lists creg-test`, async () => {
      const r = await httpsJson(`https://127.0.0.1:${registry.port}/v2/_catalog`, readFileSync(join(certs, 'ca.crt')));
      assert.is(r.status, 200);
      assert.ok(JSON.parse(r.body).repositories.includes('creg-test'), r.body);
    });

    test(`${D} the same push without the CA fails with an unknown-authority error`, () => {
      const r = push(registry, layout, noTrust, 'creg-test-untrusted:v1');
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /x509|unknown authority/);
    });
  }
}

test.run();
