// The chart on the real node (test/cluster/realnode.mjs): values that point
// every image at the local test images and every host path into the node's
// temp root, the mount DaemonSet's test hooks, helm runs, TLS checks against
// the ClusterIP and the skopeo push / kubelet pull through it.
//
// The mount DaemonSet cannot work unaided here: this VM forbids
// `nsenter -t 1 -m` and its kernel has no NFS. It runs its own script through
// its test hooks (the chart's template documents them): NSENTER is a small
// script that enters the KUBELET's mount namespace (the node's host mount
// namespace, so the directories it makes are real host directories) and fakes
// only `mount -t nfs`, by recording the command and appending an nfs4 line to
// the file HOST_MOUNTINFO points at. Everything else in that pod is real
// (hostPID, privileged, the readiness file and probe, the loop).
import { spawnSync } from 'node:child_process';
import { connect } from 'node:tls';
import {
  chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './harness.mjs';
import { IMAGE_REPO, IMAGE_TAG } from './images.mjs';

export const HELM_BINS = {
  helm3: join(repoRoot, 'node_modules', '.creg-chart', 'helm3', 'helm'),
  helm4: join(repoRoot, 'node_modules', '.creg-chart', 'helm4', 'helm'),
};

const local = (name) => ({ repository: `${IMAGE_REPO}/${name}`, tag: IMAGE_TAG, pullPolicy: 'Never' });

/** Values for a release on the real node; mountPath: the release's NAS mount point on the node. */
export function realNodeValues(node, { mountPath }) {
  return {
    nas: {
      mountPath,
      requireNfsMount: false,
      mounter: { image: local('busybox'), checkIntervalSeconds: 5 },
    },
    registry: { image: local('registry') },
    signer: { image: local('node') },
    nodeTrust: {
      image: local('busybox'),
      containerdCertsDir: node.certsDir,
      dockerCertsDir: join(node.root, 'docker-certs.d'),
      containersCertsDir: join(node.root, 'containers-certs.d'),
      checkIntervalSeconds: 5,
    },
  };
}

/**
 * The mount hooks on the node's host: { dir, nsenter, mountinfo, mountLog }
 * as host paths, and env values as the mount pod (hostPID) reaches them
 * through /proc/<kubelet pid>/root.
 */
export function writeMountHooks(node) {
  const kubeletPid = node.processes().find((p) => p.name === 'kubelet').pid;
  const dir = join(node.root, 'mount-hooks');
  mkdirSync(dir, { recursive: true });
  const viaProc = (p) => `/proc/${kubeletPid}/root${p}`;
  const mountinfo = join(dir, 'mountinfo');
  const mountLog = join(dir, 'mount.log');
  writeFileSync(mountinfo, '');
  writeFileSync(mountLog, '');
  const nsenter = join(dir, 'nsenter');
  writeFileSync(nsenter, `#!/bin/sh
# creg-chart real-node test hook, run by the nas-mount pod as "$NSENTER" -t 1 -m -- CMD...
# PID 1's mount namespace cannot be entered on this VM: enter the kubelet's.
[ "$1" = -t ] && shift 2
[ "$1" = -m ] && shift
[ "$1" = -- ] && shift
if [ "$1" = mount ]; then
  # No NFS in this kernel: record the command, then show an nfs4 mount.
  echo "$*" >> '${viaProc(mountLog)}'
  eval "dir=\\"\\\${$#}\\"" ; eval "src=\\"\\\${$(($# - 1))}\\""
  echo "900 1 0:99 / $dir rw,relatime - nfs4 $src rw,vers=4.1" >> '${viaProc(mountinfo)}'
  exit 0
fi
exec nsenter -t ${kubeletPid} -m -- "$@"
`);
  chmodSync(nsenter, 0o755);
  return {
    dir, nsenter, mountinfo, mountLog,
    env: { NSENTER: viaProc(nsenter), HOST_MOUNTINFO: viaProc(mountinfo) },
  };
}

/**
 * A copy of the built chart whose mount DaemonSet gets the test hooks' env,
 * packaged with helm; returns the .tgz path. Fails loudly if the template no
 * longer has the line the env is added after.
 */
export function chartWithMountHooks(chartDir, env, outDir) {
  const copy = join(outDir, 'chart-with-mount-hooks', 'creg');
  mkdirSync(join(outDir, 'chart-with-mount-hooks'), { recursive: true });
  cpSync(chartDir, copy, { recursive: true });
  const file = join(copy, 'templates', 'mount-daemonset.yaml');
  const text = readFileSync(file, 'utf8');
  const anchor = /^( +)- name: READY_FILE\n\1  value: \/run\/creg\/mounted\n/m;
  const m = anchor.exec(text);
  if (!m) throw new Error(`${file}: no "- name: READY_FILE / value: /run/creg/mounted" env entry to add the test hooks after`);
  const ind = m[1];
  const add = Object.entries(env).map(([k, v]) => `${ind}- name: ${k}\n${ind}  value: ${JSON.stringify(v)}\n`).join('');
  writeFileSync(file, text.slice(0, m.index + m[0].length) + add + text.slice(m.index + m[0].length));
  const r = spawnSync(HELM_BINS.helm4, ['package', copy, '--destination', join(outDir, 'chart-with-mount-hooks')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`helm package ${copy}: ${r.stderr}`);
  const tgz = readdirSync(join(outDir, 'chart-with-mount-hooks')).find((f) => f.endsWith('.tgz'));
  return join(outDir, 'chart-with-mount-hooks', tgz);
}

/** Runs helm (never throws): { status, stdout, stderr, ms }. */
export function helmRun(bin, args, { work, kubeconfig, timeoutMs = 420000 }) {
  const t0 = Date.now();
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: work,
      KUBECONFIG: kubeconfig,
      HELM_CACHE_HOME: join(work, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(work, 'helm', 'config'),
      HELM_DATA_HOME: join(work, 'helm', 'data'),
    },
  });
  return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || (r.error ? String(r.error) : ''), ms: Date.now() - t0 };
}

/**
 * The certificate the registry serves at ip:port, checked against `ca` only
 * (and the IP as the name): resolves its DER as a Buffer; rejects on any TLS error.
 */
export function servedCertificate(ip, port, ca) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: ip, port, ca, rejectUnauthorized: true, timeout: 10000 }, () => {
      const der = sock.getPeerCertificate().raw;
      sock.end();
      resolve(der);
    });
    sock.on('timeout', () => { sock.destroy(); reject(new Error(`TLS to ${ip}:${port}: timeout`)); });
    sock.on('error', (e) => reject(new Error(`TLS to ${ip}:${port} trusting only the chart's CA: ${e.message}`)));
  });
}

/** Extracts an image tar (OCI layout) into dir for skopeo's oci: transport. */
export function ociLayoutFromTar(tarFile, dir) {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('tar', ['-xf', tarFile, '-C', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar -xf ${tarFile}: ${r.stderr}`);
  return dir;
}

/** skopeo copy to docker://ip:port/ref trusting only caPem (a cert dir holding just ca.crt). */
export function skopeoPush({ from, ip, port, ref, caPem, work }) {
  const certDir = join(work, `certs-${ip}-${port}`);
  mkdirSync(certDir, { recursive: true });
  writeFileSync(join(certDir, 'ca.crt'), caPem);
  const policy = join(work, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const t0 = Date.now();
  const r = spawnSync('skopeo', ['--policy', policy, '--command-timeout', '90s', 'copy', '--retry-times', '0',
    '--dest-cert-dir', certDir, '--dest-authfile', join(work, 'auth.json'), from, `docker://${ip}:${port}/${ref}`], {
    encoding: 'utf8', timeout: 120000,
  });
  return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '', ms: Date.now() - t0 };
}
