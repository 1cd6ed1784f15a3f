// Container images for the real node, built on this machine from local parts
// (no image registry is ever contacted) as OCI image layouts in a tar, the
// form `ctr -n k8s.io images import` accepts:
//
//   busybox   Debian's busybox-static (apt-get download + dpkg-deb -x), with
//             one symlink per applet
//   registry  the Distribution registry binary (scripts/build-go-tool.sh) and
//             the same config.yml the official image ships
//   node      /usr/bin/node and the libraries `ldd` lists
//   pause     compiled with gcc from the pinned Kubernetes module's
//             build/pause/linux/pause.c (containerd's sandbox_image)
//
// Each image is one uncompressed layer; the tars are cached in
// ~/.cache/creg-chart/realnode-images/ under a key that changes with their
// inputs (CREG_IMAGES_DIR overrides the directory).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Local image names: the chart's image values point here in real-node tests. */
export const IMAGE_REPO = 'creg.local';
export const IMAGE_TAG = 'test';
export const IMAGES = {
  busybox: `${IMAGE_REPO}/busybox:${IMAGE_TAG}`,
  registry: `${IMAGE_REPO}/registry:${IMAGE_TAG}`,
  node: `${IMAGE_REPO}/node:${IMAGE_TAG}`,
  pause: `${IMAGE_REPO}/pause:${IMAGE_TAG}`,
};

export const REGISTRY_VERSION = 'v3.1.2';
export const REGISTRY_BUILD_COMMAND = `bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`;

const cacheRoot = () => join(process.env.HOME || homedir(), '.cache', 'creg-chart');
export const imagesDir = () => process.env.CREG_IMAGES_DIR || join(cacheRoot(), 'realnode-images');
export const registryBinary = () => join(process.env.CREG_TOOLS_DIR || cacheRoot(), `registry-${REGISTRY_VERSION}`, 'registry');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${(r.stderr || '').trim()}`);
  }
  return r.stdout;
}

async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * Writes an OCI image layout tar of rootfs to outFile: one uncompressed,
 * reproducible layer (sorted, mtime 0, uid/gid 0), an image config, a
 * manifest and index.json naming the image for containerd.
 */
export async function writeOciImage({ rootfs, name, config, outFile }) {
  const layout = mkdtempSync(join(dirname(outFile), '.layout-'));
  try {
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const layer = join(layout, 'layer.tar');
    run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner',
      '-C', rootfs, '-cf', layer, '.']);
    const layerDigest = await sha256File(layer);
    const layerSize = statSync(layer).size;
    renameSync(layer, join(blobs, layerDigest));
    const blob = (obj) => {
      const text = JSON.stringify(obj);
      const d = sha256(text);
      writeFileSync(join(blobs, d), text);
      return { digest: `sha256:${d}`, size: Buffer.byteLength(text) };
    };
    const cfg = blob({
      architecture: 'amd64',
      os: 'linux',
      config: config || {},
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created_by: 'creg-chart test/cluster/images.mjs' }],
    });
    const manifest = blob({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layerSize }],
    });
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
      }],
    }));
    const partial = `${outFile}.partial`;
    run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner',
      '-C', layout, '-cf', partial, 'oci-layout', 'index.json', 'blobs']);
    renameSync(partial, outFile);
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function baseRootfs(dir) {
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'run', 'var/lib', 'usr/bin', 'usr/sbin', 'sbin']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

// ---- the four images: each returns { key, build(rootfs, work) } ----

function busyboxRecipe() {
  const version = run('apt-cache', ['policy', 'busybox-static']).match(/Candidate:\s*(\S+)/)?.[1];
  if (!version || version === '(none)') {
    throw new Error('apt-cache knows no busybox-static package; run apt-get update (Debian 12 has busybox-static 1:1.35.0-4+deb12u1)');
  }
  return {
    key: `busybox-static_${version.replace(/[^A-Za-z0-9.+-]/g, '_')}`,
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    build(rootfs, work) {
      // apt-get download writes the .deb into the current directory; installing
      // busybox-static would remove Debian's busybox package, so extract it.
      run('apt-get', ['download', '-q', `busybox-static=${version}`], { cwd: work });
      const deb = readdirSync(work).find((f) => f.startsWith('busybox-static_') && f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download busybox-static=${version} left no .deb in ${work}`);
      const x = join(work, 'x');
      run('dpkg-deb', ['-x', join(work, deb), x]);
      baseRootfs(rootfs);
      copyFileSync(join(x, 'bin', 'busybox'), join(rootfs, 'bin', 'busybox'));
      chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
      const applets = run(join(x, 'bin', 'busybox'), ['--list-full']).split('\n').filter(Boolean);
      for (const a of applets) {
        const p = join(rootfs, a);
        if (existsSync(p)) continue;
        mkdirSync(dirname(p), { recursive: true });
        symlinkSync('/bin/busybox', p);
      }
    },
  };
}

function registryRecipe() {
  const bin = registryBinary();
  if (!existsSync(bin)) {
    throw new Error(`The Distribution registry binary ${bin} is missing; build it with: ${REGISTRY_BUILD_COMMAND}`);
  }
  const st = statSync(bin);
  return {
    key: `registry-${REGISTRY_VERSION}_${st.size}_${Math.floor(st.mtimeMs)}`,
    // As the official registry:3 image: entrypoint `registry serve <config>`,
    // traces off.
    config: {
      Env: [PATH_ENV, 'OTEL_TRACES_EXPORTER=none'],
      Entrypoint: ['/bin/registry'],
      Cmd: ['serve', '/etc/distribution/config.yml'],
      ExposedPorts: { '5000/tcp': {} },
    },
    build(rootfs) {
      baseRootfs(rootfs);
      copyFileSync(bin, join(rootfs, 'bin', 'registry'));
      chmodSync(join(rootfs, 'bin', 'registry'), 0o755);
      mkdirSync(join(rootfs, 'etc', 'distribution'), { recursive: true });
      mkdirSync(join(rootfs, 'var', 'lib', 'registry'), { recursive: true });
      writeFileSync(join(rootfs, 'etc', 'distribution', 'config.yml'), [
        'version: 0.1',
        'log:',
        '  fields:',
        '    service: registry',
        'storage:',
        '  cache:',
        '    blobdescriptor: inmemory',
        '  filesystem:',
        '    rootdirectory: /var/lib/registry',
        'http:',
        '  addr: :5000',
        '',
      ].join('\n'));
    },
  };
}

function nodeRecipe() {
  const nodeBin = '/usr/bin/node';
  if (!existsSync(nodeBin)) throw new Error(`${nodeBin} is missing: the node image copies the machine's Node.js`);
  const version = run(nodeBin, ['--version']).trim();
  return {
    key: `node-${version}_${statSync(nodeBin).size}`,
    config: { Env: [PATH_ENV], Cmd: ['node'] },
    build(rootfs) {
      baseRootfs(rootfs);
      const copy = (src) => {
        const dst = join(rootfs, src);
        mkdirSync(dirname(dst), { recursive: true });
        copyFileSync(src, dst);
        chmodSync(dst, 0o755);
      };
      copy(nodeBin);
      // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the loader.
      for (const line of run('ldd', [nodeBin]).split('\n')) {
        const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
        if (m) copy(m[1]);
      }
      // Debian's /lib is a symlink to usr/lib: the loader path /lib64/... exists
      // as copied; libraries resolve through /lib/x86_64-linux-gnu.
    },
  };
}

export function pauseSource(k8sVersion) {
  const modcache = run('go', ['env', 'GOMODCACHE']).trim();
  return join(modcache, 'k8s.io', `kubernetes@${k8sVersion}`, 'build', 'pause', 'linux', 'pause.c');
}

function pauseRecipe(k8sVersion) {
  const src = pauseSource(k8sVersion);
  if (!existsSync(src)) {
    throw new Error(`${src} is missing (the Kubernetes module is fetched by the control plane build); run: bash scripts/build-control-plane.sh`);
  }
  return {
    key: `pause-${k8sVersion}_${sha256(readFileSync(src)).slice(0, 12)}`,
    config: { Entrypoint: ['/pause'] },
    build(rootfs) {
      mkdirSync(rootfs, { recursive: true });
      run('gcc', ['-Os', '-static', '-Wall', '-Werror', `-DVERSION=${k8sVersion}-creg-test`, '-o', join(rootfs, 'pause'), src]);
      run('strip', [join(rootfs, 'pause')]);
    },
  };
}

/**
 * Builds (or finds cached) image tars; returns [{ name, file, cached }].
 * k8sVersion: the pinned Kubernetes version (for pause.c).
 */
export async function ensureImages({ k8sVersion, log = () => {}, only = Object.keys(IMAGES) }) {
  const dir = imagesDir();
  mkdirSync(dir, { recursive: true });
  const recipes = {
    busybox: busyboxRecipe, registry: registryRecipe, node: nodeRecipe, pause: () => pauseRecipe(k8sVersion),
  };
  const out = [];
  for (const short of only) {
    const recipe = recipes[short]();
    const name = IMAGES[short];
    const file = join(dir, `${short}_${recipe.key}.oci.tar`);
    if (existsSync(file)) {
      out.push({ name, file, cached: true });
      continue;
    }
    const t0 = Date.now();
    const work = mkdtempSync(join(dir, `.build-${short}-`));
    try {
      const rootfs = join(work, 'rootfs');
      mkdirSync(rootfs);
      recipe.build(rootfs, work);
      await writeOciImage({ rootfs, name, config: recipe.config, outFile: file });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    log(`built image ${name} (${file}) in ${Date.now() - t0} ms`);
    out.push({ name, file, cached: false });
  }
  return out;
}

/** Imports image tars into containerd's k8s.io namespace at address. */
export function importImages(images, { address, log = () => {} }) {
  for (const img of images) {
    const t0 = Date.now();
    run('ctr', ['--address', address, '-n', 'k8s.io', 'images', 'import', '--platform', 'linux/amd64', img.file]);
    log(`imported ${img.name} in ${Date.now() - t0} ms`);
  }
}


// `node test/cluster/images.mjs`: build (or find cached) every image and print them.
if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const { pinnedVersions } = await import('./harness.mjs');
  const t0 = Date.now();
  const images = await ensureImages({ k8sVersion: pinnedVersions().K8S_VERSION, log: (m) => console.log(`[images] ${m}`) });
  for (const i of images) console.log(`[images] ${i.name} ${i.cached ? 'cached' : 'built'}: ${i.file} (${(statSync(i.file).size / 1048576).toFixed(1)} MiB)`);
  console.log(`[images] done in ${Date.now() - t0} ms`);
}
