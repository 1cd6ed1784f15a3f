// Real-registry helpers shared by the TLS, trust, publishing and conformance tests: a free
// loopback port, a one-layer OCI image layout written by hand, certificates from our own signer's
// local mode, the real Distribution registry on 127.0.0.1 over TLS (3.1.2, the chart's default,
// built by .ci/run; Debian's `docker-registry` 2.8 only for 2.8 compatibility), optionally behind
// htpasswd (bcrypt) auth, started either from a small config file (startRegistry) or with exactly
// the registry container's env that `helm template` renders (startDistribution3), and skopeo (a Go
// TLS client, like containerd) copying to it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { get as httpGet } from 'node:http';
import { get as httpsGet, request as httpsRequestRaw } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './chart.mjs';

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

export const SIGNER_BUNDLE = join(ROOT, 'dist', 'signer', 'signer.js');

/** The Distribution version the chart defaults to, and its binary built by scripts/build-go-tool.sh (.ci/run). */
export const DISTRIBUTION_VERSION = 'v3.1.2';
const toolsDir = () => process.env.CREG_TOOLS_DIR || join(homedir(), '.cache', 'creg-chart');
export const DISTRIBUTION_BIN = join(toolsDir(), `registry-${DISTRIBUTION_VERSION}`, 'registry');

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

/** GET url over plain HTTP; resolves { status } once the body is drained. */
export function httpGetStatus(url) {
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
 * Starts a real Distribution registry on 127.0.0.1 with TLS from `tls`
 * ({ cert, key, ca }; null: plain HTTP) and, when `htpasswd` is given, basic auth (bcrypt). The
 * registry is Distribution 3.1.2 (`distribution: '3'`, the chart's default image; built by .ci/run)
 * or Debian's `docker-registry` 2.8 (`distribution: '2.8'`, only for tests about 2.8 compatibility;
 * also the stand-in outside CI while the 3.1.2 binary is not built). Resolves once /v2/ answers (200,
 * or 401 with auth); `verifyOnStart: false` skips checking the certificate's name then (for a
 * certificate made not to match). Returns { port, url, log(), stop(), distribution }.
 */
export async function startRegistry({ dir, tls, htpasswd, verifyOnStart = true, distribution = '3', user }) {
  if (distribution === '3' && !existsSync(DISTRIBUTION_BIN)) {
    if (process.env.CI) throw new Error(`${DISTRIBUTION_BIN} is missing (required when CI is set): bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@${DISTRIBUTION_VERSION}`);
    console.log(`  note: Distribution ${DISTRIBUTION_VERSION} is not built (${DISTRIBUTION_BIN}); using Debian's docker-registry 2.8 instead`);
    distribution = '2.8';
  }
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
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const child =
    distribution === '3'
      ? spawn(DISTRIBUTION_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', OTEL_TRACES_EXPORTER: 'none' }, ...asUser })
      : spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
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
    distribution,
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

// ---------------------------------------------------------------- Distribution 3 with the chart's env


/** The OCI conformance suite, built by scripts/build-go-tool.sh (.ci/run). */
export const CONFORMANCE_VERSION = 'v0.0.0-20260831232431-97274622c111';
export const CONFORMANCE_BIN = join(toolsDir(), `oci-conformance-${CONFORMANCE_VERSION}`, 'conformance');

/**
 * The configuration file the official `registry:3` image runs with: Distribution's
 * cmd/registry/config-dev.yml (its Dockerfile copies it to /etc/distribution/config.yml),
 * read from the Go module cache the binary was built from. null when absent.
 */
export function distributionImageConfig() {
  const r = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const file = join(r.stdout.trim(), 'github.com', 'distribution', 'distribution', `v3@${DISTRIBUTION_VERSION}`, 'cmd', 'registry', 'config-dev.yml');
  return existsSync(file) ? file : null;
}

/** What is missing to run Distribution 3 tests (empty when nothing). */
export function distribution3Missing() {
  const missing = [];
  if (!existsSync(DISTRIBUTION_BIN)) missing.push(`${DISTRIBUTION_BIN} (bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@${DISTRIBUTION_VERSION})`);
  if (!distributionImageConfig()) missing.push(`Distribution ${DISTRIBUTION_VERSION}'s cmd/registry/config-dev.yml in the Go module cache`);
  return missing;
}

/** The registry container of rendered manifests (ReplicationController or Deployment). */
export function registryContainerOf(objects) {
  const w = objects.find((o) => (o.kind === 'ReplicationController' || o.kind === 'Deployment') && o.spec?.template?.spec?.containers?.some((c) => c.name === 'registry'));
  if (!w) throw new Error('no registry workload in the rendered manifests');
  return { workload: w, podSpec: w.spec.template.spec, container: w.spec.template.spec.containers.find((c) => c.name === 'registry') };
}

/**
 * The registry container's environment exactly as rendered, with secretKeyRef values taken from
 * `secrets` ({ name: { key: value } }, the test's own Secrets) and container paths under the
 * mounts of `paths` ({ '/certs': dir }) moved to local directories. Throws on anything it cannot
 * resolve, so that a new kind of env entry cannot be silently dropped.
 */
export function resolveContainerEnv(env, { secrets = {}, paths = {} } = {}) {
  const out = {};
  for (const e of env) {
    let value;
    if (e.valueFrom) {
      const ref = e.valueFrom.secretKeyRef;
      if (!ref) throw new Error(`env ${e.name}: only secretKeyRef is supported, got ${JSON.stringify(e.valueFrom)}`);
      value = secrets[ref.name]?.[ref.key];
      if (value === undefined) throw new Error(`env ${e.name}: the test has no Secret ${ref.name} key ${ref.key}`);
    } else {
      value = e.value ?? '';
    }
    for (const [from, to] of Object.entries(paths)) {
      if (value === from || value.startsWith(`${from}/`)) value = to + value.slice(from.length);
    }
    out[e.name] = value;
  }
  return out;
}

/**
 * Starts the real Distribution 3 binary with the image's config file and `env` (from
 * resolveContainerEnv) and nothing else, except what a pod gives by its mounts and network:
 * REGISTRY_HTTP_ADDR's 0.0.0.0 becomes 127.0.0.1 (servers here bind to loopback) and the storage
 * directory, the pod's /var/lib/registry mount, becomes `dir`/data. Resolves once /v2/ answers
 * over TLS trusting only `ca` (200, or 401 with auth). Returns { port, host, log(), stop() }.
 */
export async function startDistribution3({ dir, env, ca, timeoutMs = 20_000 }) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const addr = env.REGISTRY_HTTP_ADDR ?? '';
  const m = /^0\.0\.0\.0:(\d+)$/.exec(addr);
  if (!m) throw new Error(`REGISTRY_HTTP_ADDR=${addr}: expected 0.0.0.0:<port> from the chart`);
  const port = Number(m[1]);
  const runEnv = {
    ...env,
    REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'data'),
    PATH: '/usr/bin:/bin',
  };
  const child = spawn(DISTRIBUTION_BIN, ['serve', distributionImageConfig()], { stdio: ['ignore', 'pipe', 'pipe'], env: runEnv });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const caPem = readFileSync(ca);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await httpsGetText(`https://127.0.0.1:${port}/v2/`, caPem);
      if (r.status === 200 || r.status === 401) break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Distribution ${DISTRIBUTION_VERSION} did not start: ${e.message}\n${log}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => log,
    stop: () => new Promise((resolve) => {
      const gone = () => child.exitCode !== null || child.signalCode !== null;
      if (gone()) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => gone() || child.kill('SIGKILL'), 3000).unref();
    }),
  };
}

/** An HTTPS request trusting `ca`; resolves { status, headers, body }. */
export function httpsRequest(url, ca, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsRequestRaw(url, { method, ca, timeout: 10_000, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
