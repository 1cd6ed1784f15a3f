// Real-registry helpers shared by the TLS and trust tests: a free loopback
// port, a one-layer OCI image layout written by hand, the Debian Distribution
// registry (`docker-registry serve`) started on 127.0.0.1 with a given
// certificate, and skopeo (a Go TLS client, like containerd) copying to it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Whether a program is on PATH. */
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
export function httpsJson(url, ca) {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Starts the real Distribution registry on 127.0.0.1 with `certFile`/`keyFile`, storing under
 * `workDir`, and waits until https://127.0.0.1:PORT/v2/ answers 200 trusting `caFile`.
 * Returns { port, process, log(), stop() }.
 */
export async function startRegistry({ workDir, certFile, keyFile, caFile, timeoutMs = 15_000 }) {
  const port = await freePort();
  const config = join(workDir, 'registry-config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(workDir, 'registry-data'))} } }`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: creg-test-secret',
      `  tls: { certificate: ${JSON.stringify(certFile)}, key: ${JSON.stringify(keyFile)} }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const reg = {
    port,
    process: child,
    log: () => log,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  const ca = readFileSync(caFile);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await httpsJson(`https://127.0.0.1:${port}/v2/`, ca);
      if (r.status === 200) return reg;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        reg.stop();
        throw new Error(`registry did not start: ${e.message}\n${log}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
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
