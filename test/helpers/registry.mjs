// Real-registry helpers shared by the TLS, trust and publishing tests: a free
// loopback port, a one-layer OCI image layout written by hand, certificates
// from our own signer's local mode, the Debian Distribution registry
// (`docker-registry serve`) on 127.0.0.1 over TLS, optionally behind htpasswd
// (bcrypt) auth, and skopeo (a Go TLS client, like containerd) copying to it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './chart.mjs';

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

export const SIGNER_BUNDLE = join(ROOT, 'dist', 'signer', 'signer.js');

/** True when `bin` is on PATH. */
export const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A one-file POSIX tar archive written by hand. */
export function tarOneFile(name, content) {
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

/**
 * Writes an OCI image layout with one layer (hello.txt), tagged `tag`, into `dir`.
 * Returns the manifest digest.
 */
export function writeOciLayout(dir, tag, text = 'hello from creg-chart\n') {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (buf) => {
    const hex = sha256(buf);
    writeFileSync(join(blobs, hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const tar = tarOneFile('hello.txt', Buffer.from(text));
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
  return manifest.digest;
}

/** GET over HTTPS trusting `ca`; resolves { status, body }. */
export function httpsGetText(url, ca, headers = {}, extra = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, timeout: 5000, headers, ...extra }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function httpGetStatus(url) {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Signs ca.crt, tls.crt, tls.key for `ip` into `dir` with the bundled
 * signer (`node dist/signer/signer.js sign`). Throws with its stderr.
 */
export function signCertificates(dir, ip = '127.0.0.1') {
  const s = spawnSync(process.execPath, [SIGNER_BUNDLE, 'sign', '--ip', ip, '--out', dir], { encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`signer failed: ${s.stderr}`);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), output: s.stdout + s.stderr };
}

/**
 * Writes a bcrypt htpasswd file with apache2-utils' `htpasswd -B` (the
 * password goes in on stdin, `-i`, not on its command line).
 */
export function writeHtpasswd(file, user, password) {
  const r = spawnSync('htpasswd', ['-niB', user], { input: `${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
  writeFileSync(file, r.stdout.trim() + '\n');
}

/**
 * Starts `docker-registry serve` on 127.0.0.1 with TLS from `tls`
 * ({ cert, key, ca }; null: plain HTTP) and, when `htpasswd` is given, basic auth. Resolves
 * once /v2/ answers (200, or 401 with auth); `verifyOnStart: false` skips
 * checking the certificate's name then (for a certificate made not to match).
 * Returns { port, url, log(), stop() }.
 */
export async function startRegistry({ dir, tls, htpasswd, verifyOnStart = true, user }) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      ...(htpasswd ? ['auth:', `  htpasswd: { realm: creg-test, path: ${JSON.stringify(htpasswd)} }`] : []),
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: creg-test-secret',
      ...(tls ? [`  tls: { certificate: ${JSON.stringify(tls.cert)}, key: ${JSON.stringify(tls.key)} }`] : []),
      '',
    ].join('\n'),
  );
  // user: {uid, gid} runs the registry as that user (root only), like the chart's runAsUser/runAsGroup.
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], ...(user ? { uid: user.uid, gid: user.gid } : {}) });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const ca = tls ? readFileSync(tls.ca) : undefined;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = tls
        ? await httpsGetText(`https://127.0.0.1:${port}/v2/`, ca, {}, verifyOnStart ? {} : { checkServerIdentity: () => undefined })
        : await httpGetStatus(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200 || (htpasswd && r.status === 401)) break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`registry did not start: ${e.message}\n${log}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => log,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * `skopeo copy` between two references with certificate directories (docker certs.d style: DIR/ca.crt).
 * `certDirFlag` is --dest-cert-dir or --src-cert-dir.
 */
export function skopeoCopy({ from, to, certDir, certDirFlag = '--dest-cert-dir', authFile }) {
  const args = ['--command-timeout', '60s', 'copy', '--retry-times', '0'];
  if (certDir) args.push(certDirFlag, certDir);
  args.push(from, to);
  return spawnSync('skopeo', args, {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, ...(authFile ? { REGISTRY_AUTH_FILE: authFile } : {}) },
  });
}

/** The same as httpsGetText, under the name the TLS tests use. */
export const httpsJson = (url, ca) => httpsGetText(url, ca);
