// The real Distribution 3.1.2 registry (built from the Go module proxy by
// scripts/build-go-tool.sh) started with the environment the chart renders,
// and SeaweedFS (scripts/build-seaweedfs.sh) as a real S3-compatible store,
// both on 127.0.0.1 only. Used by test/storage-real.test.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get as httpGet, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './chart.mjs';
import { freePort, tarOneFile } from './registry.mjs';

const TOOLS = process.env.CREG_TOOLS_DIR || join(homedir(), '.cache', 'creg-chart');
export const REGISTRY_VERSION = 'v3.1.2';
export const REGISTRY_BIN = join(TOOLS, `registry-${REGISTRY_VERSION}`, 'registry');
export const REGISTRY_BUILD = `bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`;

/** The SeaweedFS version pinned in test/tools/seaweedfs/go.mod. */
export function seaweedVersion() {
  const mod = readFileSync(join(ROOT, 'test', 'tools', 'seaweedfs', 'go.mod'), 'utf8');
  return /^\s*(?:require\s+)?github\.com\/seaweedfs\/seaweedfs (\S+)/m.exec(mod)[1];
}
export const WEED_BIN = join(TOOLS, `seaweedfs-${seaweedVersion()}`, 'weed');
export const WEED_BUILD = 'bash scripts/build-seaweedfs.sh';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The registry image's own config file, as far as the tests need it: what
 * `registry:3` ships in /etc/distribution/config.yml (blob descriptor cache in
 * memory, filesystem at /var/lib/registry, health check of the storage
 * driver), with the data directory moved to `dataDir`. No debug server here:
 * the image's binds :5001 on every interface; the metrics test sets it from
 * the chart's env instead.
 */
export function writeImageConfig(file, dataDir) {
  writeFileSync(
    file,
    [
      'version: 0.1',
      'log: { level: info, fields: { service: registry } }',
      'storage:',
      '  cache: { blobdescriptor: inmemory }',
      `  filesystem: { rootdirectory: ${JSON.stringify(dataDir)} }`,
      '  tag: { concurrencylimit: 8 }',
      'http:',
      '  addr: :5000',
      '  headers: { X-Content-Type-Options: [nosniff] }',
      'health: { storagedriver: { enabled: true, interval: 10s, threshold: 3 } }',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * The env of a rendered container as a plain object: `value`s as they are,
 * `valueFrom.secretKeyRef` / `configMapKeyRef` resolved from `secrets` /
 * `configMaps` ({name: {key: value}}); a reference that does not resolve
 * throws (as the kubelet would refuse to start the container). Then
 * `overrides` replace named variables (each must exist in the rendered env,
 * so a test cannot silently add settings the chart does not render).
 */
export function resolveEnv(container, { secrets = {}, configMaps = {}, overrides = {} } = {}) {
  const env = {};
  for (const e of container.env ?? []) {
    if ('value' in e) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      if (secrets[name]?.[key] === undefined) throw new Error(`${e.name}: Secret ${name} has no key ${key}`);
      env[e.name] = secrets[name][key];
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key, optional } = e.valueFrom.configMapKeyRef;
      if (configMaps[name]?.[key] === undefined) {
        if (optional) continue;
        throw new Error(`${e.name}: ConfigMap ${name} has no key ${key}`);
      }
      env[e.name] = configMaps[name][key];
    } else if (e.valueFrom?.fieldRef) env[e.name] = `fieldRef:${e.valueFrom.fieldRef.fieldPath}`;
    else throw new Error(`${e.name}: unsupported env source ${JSON.stringify(e)}`);
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in env)) throw new Error(`override ${k} is not in the rendered env (${Object.keys(env).join(', ')})`);
    env[k] = v;
  }
  return env;
}

/**
 * Starts `registry serve CONFIG` with exactly `env` (plus PATH/HOME). Resolves
 * once https://127.0.0.1:port/ answers (`port` is taken from
 * env.REGISTRY_HTTP_ADDR). Returns { log(), stop() }.
 */
export async function startDistribution({ config, env, ca, port, name = 'registry' }) {
  const child = spawn(REGISTRY_BIN, ['serve', config], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log.slice(-3000)}`);
    try {
      const r = await request('GET', `https://127.0.0.1:${port}/`, { ca });
      if (r.status === 200) break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not answer on ${port}: ${e.message}\n${log.slice(-3000)}`);
      }
    }
    await sleep(150);
  }
  return {
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** One HTTP(S) request; resolves { status, headers, body }. */
export function request(method, url, { ca, headers = {}, body } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = mod(u, { method, ca, headers, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/**
 * An OCI image layout in `dir` tagged `tag`, one gzip layer per string in
 * `layers` (the same string gives the same layer blob, so two images can share
 * layers). Returns { manifest, config, layers } digests.
 */
export function writeImage(dir, tag, layers) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (buf) => {
    const hex = sha256(buf);
    writeFileSync(join(blobs, hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const tars = layers.map((text, i) => tarOneFile(`layer-${i}.txt`, Buffer.from(text)));
  const layerBlobs = tars.map((t) => blob(gzipSync(t, { level: 9 })));
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { tag } }, rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha256(t)}`) } })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layerBlobs.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
  })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return { manifest: manifest.digest, config: config.digest, layers: layerBlobs.map((l) => l.digest) };
}

/** skopeo copy (TLS, trusting certDir/ca.crt on the registry side). */
export function skopeo(args) {
  const r = spawnSync('skopeo', ['--command-timeout', '90s', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The sha256 hex digests of the blobs a filesystem registry holds under rootdirectory. */
export function filesystemBlobs(rootDir) {
  const base = join(rootDir, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((p) => readdirSync(join(base, p))).filter((d) => existsSync(join(base, d.slice(0, 2), d, 'data'))).sort();
}

// ------------------------------------------------------------ SeaweedFS

/**
 * `weed server` with master, volume, filer and S3 gateway on 127.0.0.1 and
 * one identity (accessKey/secretKey). Resolves once the S3 port answers.
 * Returns { s3Url, filerUrl, createBucket(name), blobs(bucket, prefix), stop() }.
 */
export async function startSeaweed({ dir, accessKey, secretKey }) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const ports = {};
  // gRPC ports default to port+10000; give every one explicitly.
  for (const k of ['master', 'volume', 'filer', 's3', 'masterGrpc', 'volumeGrpc', 'filerGrpc', 's3Grpc']) ports[k] = await freePort();
  const s3Config = join(dir, 's3.json');
  writeFileSync(s3Config, JSON.stringify({ identities: [{ name: 'registry', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }));
  const args = [
    'server', `-dir=${join(dir, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-master.port=${ports.master}`, `-master.port.grpc=${ports.masterGrpc}`, '-master.volumeSizeLimitMB=64',
    `-volume.port=${ports.volume}`, `-volume.port.grpc=${ports.volumeGrpc}`, '-volume.max=20',
    '-filer', `-filer.port=${ports.filer}`, `-filer.port.grpc=${ports.filerGrpc}`,
    '-s3', `-s3.port=${ports.s3}`, `-s3.port.grpc=${ports.s3Grpc}`, `-s3.config=${s3Config}`,
  ];
  const child = spawn(WEED_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const s3Url = `http://127.0.0.1:${ports.s3}`;
  const filerUrl = `http://127.0.0.1:${ports.filer}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`weed server exited with ${child.exitCode}:\n${log.slice(-3000)}`);
    try {
      const [s3, filer] = await Promise.all([request('GET', `${s3Url}/`), request('GET', `${filerUrl}/`, { headers: { Accept: 'application/json' } })]);
      if (s3.status > 0 && filer.status === 200) break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`weed server did not come up: ${e.message}\n${log.slice(-3000)}`);
      }
    }
    await sleep(300);
  }
  const store = {
    s3Url,
    filerUrl,
    log: () => log,
    /** `s3.bucket.create` through `weed shell` (SeaweedFS's own admin path; no S3 client needed). */
    createBucket(name) {
      const r = spawnSync(WEED_BIN, ['shell', `-master=127.0.0.1:${ports.master}.${ports.masterGrpc}`, `-filer=127.0.0.1:${ports.filer}.${ports.filerGrpc}`], {
        input: `s3.bucket.create -name ${name}\nexit\n`, encoding: 'utf8', timeout: 60_000, cwd: dir,
      });
      if (r.status !== 0) throw new Error(`weed shell s3.bucket.create failed (${r.status}): ${r.stdout}${r.stderr}`);
      return `${r.stdout}${r.stderr}`;
    },
    /** Every file under /buckets/<bucket>/<prefix> in the filer (what the store holds), as paths relative to the bucket. */
    async files(bucket, prefix = '') {
      const out = [];
      const walk = async (path) => {
        let lastFileName = '';
        for (;;) {
          const r = await request('GET', `${filerUrl}${path}?limit=1000&lastFileName=${encodeURIComponent(lastFileName)}`, { headers: { Accept: 'application/json' } });
          if (r.status === 404) return;
          if (r.status !== 200) throw new Error(`filer ${path}: ${r.status} ${r.body.slice(0, 200)}`);
          const listing = JSON.parse(r.body);
          const entries = listing.Entries ?? [];
          for (const e of entries) {
            const full = e.FullPath;
            const isDir = (e.Mode & 0o40000000000) !== 0 || (e.Mode & 0x80000000) !== 0;
            if (isDir) await walk(`${full}/`);
            else out.push(full.slice(`/buckets/${bucket}/`.length));
          }
          if (!listing.ShouldDisplayLoadMore || entries.length === 0) return;
          lastFileName = listing.LastFileName;
        }
      };
      await walk(`/buckets/${bucket}/${prefix}`);
      return out.sort();
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
  return store;
}

/** The sha256 hex digests of blobs stored in an S3 bucket (keys .../blobs/sha256/xx/<hex>/data). */
export function s3Blobs(files) {
  return files.map((f) => /blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})\/data$/.exec(f)?.[1]).filter(Boolean).sort();
}
