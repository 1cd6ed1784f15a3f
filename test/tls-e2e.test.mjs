// End to end: the bundled signer signs for 127.0.0.1, the real Distribution registry serves that
// certificate, and skopeo (a Go TLS client, like containerd) pushes an OCI image to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { have, httpsGetText as httpsJson, signCertificates, startRegistry } from './helpers/registry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const missing = ['docker-registry', 'skopeo'].filter((b) => !have(b));

const work = mkdtempSync(join(tmpdir(), 'creg-e2e-'));
let registry;
let port;
const registryLog = () => registry?.log() ?? '';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** A one-file POSIX tar archive written by hand. */
function tarOneFile(name, content) {
  const header = Buffer.alloc(512, 0);
  const put = (str, off, len) => header.write(str, off, len, 'ascii');
  const octal = (n, len) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(1700000000, 12), 136, 12);
  put('        ', 148, 8); // checksum placeholder: spaces
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]);
}

/** Writes an OCI image layout with one layer, tagged `tag`, into `dir`. */
function writeOciLayout(dir, tag) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (buf) => {
    const hex = sha256(buf);
    writeFileSync(join(blobs, hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const tar = tarOneFile('hello.txt', Buffer.from('hello from creg-chart\n'));
  const layer = blob(gzipSync(tar));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } },
      ],
    }),
  );
}

function skopeoCopy(layoutDir, certDir, ref) {
  return spawnSync(
    'skopeo',
    ['--command-timeout', '60s', 'copy', '--retry-times', '0', '--dest-cert-dir', certDir, `oci:${layoutDir}:v1`, `docker://127.0.0.1:${port}/${ref}`],
    { encoding: 'utf8', timeout: 90_000, env: { ...process.env, REGISTRY_AUTH_FILE: join(work, 'auth.json') } },
  );
}

test.after(() => {
  registry?.stop();
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

  test('bundled signer signs for 127.0.0.1 and the real registry starts with that certificate', async () => {
    const signed = signCertificates(certs);
    assert.not.match(signed.output, /PRIVATE KEY/);
    mkdirSync(trust);
    mkdirSync(noTrust);
    copyFileSync(signed.ca, join(trust, 'ca.crt'));
    registry = await startRegistry({ dir: join(work, 'registry'), tls: signed });
    port = registry.port;
    const r = await httpsJson(`https://127.0.0.1:${port}/v2/`, readFileSync(signed.ca));
    assert.is(r.status, 200);
  });

  test('skopeo pushes an OCI image over TLS trusting only ca.crt', () => {
    writeOciLayout(layout, 'v1');
    const r = skopeoCopy(layout, trust, 'creg-test:v1');
    assert.is(r.status, 0, `skopeo failed:\n${r.stderr}\n${registryLog()}`);
  });

  test('GET /v2/_catalog with the CA lists creg-test', async () => {
    const r = await httpsJson(`https://127.0.0.1:${port}/v2/_catalog`, readFileSync(join(certs, 'ca.crt')));
    assert.is(r.status, 200);
    assert.ok(JSON.parse(r.body).repositories.includes('creg-test'), r.body);
  });

  test('the same push without the CA fails with an unknown-authority error', () => {
    const r = skopeoCopy(layout, noTrust, 'creg-test-untrusted:v1');
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /x509|unknown authority/);
  });
}

test.run();
