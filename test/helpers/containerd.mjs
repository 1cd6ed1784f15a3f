// A real containerd (Debian's package) for tests, fenced into a temporary
// directory: its own root, state, temp and gRPC/ttrpc sockets, no CRI plugin,
// no /opt plugin, only the `native` snapshotter (plain directory copies, no
// overlay mounts), no debug or metrics listener. It never reads
// /etc/containerd/config.toml (--config is given) and never touches
// /var/lib/containerd or /run/containerd. Needs root (containerd refuses
// otherwise). Talks to registries only as `ctr` is told (loopback here).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why containerd cannot run here, or '' when it can. */
export function containerdUnavailable() {
  const missing = ['containerd', 'ctr'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length) return `${missing.join(' and ')} not installed (Debian package containerd)`;
  if (process.getuid?.() !== 0) return 'containerd needs root and the tests are not running as root';
  return '';
}

export const CONTAINERD_NAMESPACE = 'creg-test';

/** Starts containerd under `dir`; resolves once `ctr version` answers. */
export async function startContainerd(dir, { timeoutMs = 20_000 } = {}) {
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const temp = join(dir, 'tmp');
  for (const d of [root, state, temp]) mkdirSync(d, { recursive: true });
  const sock = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(config, [
    'version = 2',
    `root = ${JSON.stringify(root)}`,
    `state = ${JSON.stringify(state)}`,
    `temp = ${JSON.stringify(temp)}`,
    // Only what pulling and unpacking need: no CRI (kubelet's API, CNI), no /opt/containerd,
    // no snapshotters that mount or need special file systems, no task runtimes (no containers run).
    'disabled_plugins = [',
    ...[
      'io.containerd.grpc.v1.cri',
      'io.containerd.internal.v1.opt',
      'io.containerd.internal.v1.restart',
      'io.containerd.snapshotter.v1.aufs',
      'io.containerd.snapshotter.v1.btrfs',
      'io.containerd.snapshotter.v1.devmapper',
      'io.containerd.snapshotter.v1.zfs',
      'io.containerd.snapshotter.v1.overlayfs',
      'io.containerd.runtime.v1.linux',
      'io.containerd.runtime.v2.task',
      'io.containerd.monitor.v1.cgroups',
      'io.containerd.service.v1.tasks-service',
      'io.containerd.grpc.v1.tasks',
    ].map((p) => `  ${JSON.stringify(p)},`),
    ']',
    '[grpc]',
    `  address = ${JSON.stringify(sock)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${sock}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
  ].join('\n'));
  const child = spawn('containerd', ['--config', config, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise((resolve) => child.on('close', resolve));
  const ctr = (args, opts = {}) => {
    const r = spawnSync('ctr', ['--address', sock, '--namespace', CONTAINERD_NAMESPACE, ...args], {
      encoding: 'utf8', timeout: 120_000, ...opts,
    });
    if (r.error) throw r.error;
    return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
  };
  const handle = {
    sock,
    root,
    ctr,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(sock) && ctr(['version'], { timeout: 5000 }).status === 0) return handle;
    if (child.exitCode !== null || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`containerd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `ctr images pull` with --hosts-dir (the certs.d layout) and the native snapshotter (unpacks into plain
 * directories). `hostsDir` null: no --hosts-dir (containerd's defaults).
 */
export function ctrPull(ctrd, ref, hostsDir) {
  const args = ['images', 'pull', '--snapshotter', 'native'];
  if (hostsDir) args.push('--hosts-dir', hostsDir);
  args.push(ref);
  return ctrd.ctr(args);
}
