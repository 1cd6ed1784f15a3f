// A real containerd (Debian's package) for tests, fenced into a temporary
// directory: its own root, state, temp and gRPC/ttrpc sockets, no CRI plugin,
// no /opt plugin, only the `native` snapshotter (plain directory copies, no
// overlay mounts), no debug or metrics listener. It never reads
// /etc/containerd/config.toml (--config is given) and never touches
// /var/lib/containerd or /run/containerd. Needs root (containerd refuses
// otherwise). Talks to registries only as `ctr` is told (loopback here).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Why containerd cannot run here, or '' when it can. */
export function containerdUnavailable() {
  const missing = ['containerd', 'ctr'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length) return `${missing.join(' and ')} not installed (Debian package containerd)`;
  if (process.getuid?.() !== 0) return 'containerd needs root and the tests are not running as root';
  return '';
}

export const CONTAINERD_NAMESPACE = 'creg-test';
export const CRICTL_VERSION = 'v1.34.0';
export const CRICTL_BUILD = 'bash scripts/build-crictl.sh';

/** crictl: $CRICTL, else on PATH, else where scripts/build-crictl.sh puts it; '' when none. */
export function findCrictl() {
  if (process.env.CRICTL) return process.env.CRICTL;
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, 'crictl'))) return join(d, 'crictl');
  const built = join(process.env.CREG_CRICTL_DIR || join(process.env.HOME || homedir(), '.cache', 'creg-chart', `crictl-${CRICTL_VERSION}`), 'crictl');
  return existsSync(built) ? built : '';
}

const PULL_ONLY_PLUGINS_OFF = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.internal.v1.restart',
  'io.containerd.runtime.v1.linux',
  'io.containerd.runtime.v2.task',
  'io.containerd.monitor.v1.cgroups',
  'io.containerd.service.v1.tasks-service',
  'io.containerd.grpc.v1.tasks',
];

/**
 * Starts containerd under `dir`; resolves once `ctr version` answers.
 * `cri: { configPath }` turns on the CRI plugin (kubelet's API; needs the task runtime plugins, but no
 * container is ever run) with the registry `config_path` given, the native snapshotter, CNI directories
 * inside `dir` (empty: no pod networking), no TCP streaming service. `crictl(args)` then talks to it.
 * `env` is added to containerd's environment (e.g. SSL_CERT_FILE: the system roots it trusts).
 */
export async function startContainerd(dir, { timeoutMs = 20_000, cri, env } = {}) {
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
      'io.containerd.internal.v1.opt',
      'io.containerd.snapshotter.v1.aufs',
      'io.containerd.snapshotter.v1.btrfs',
      'io.containerd.snapshotter.v1.devmapper',
      'io.containerd.snapshotter.v1.zfs',
      'io.containerd.snapshotter.v1.overlayfs',
      ...(cri ? [] : PULL_ONLY_PLUGINS_OFF),
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
    ...(cri ? [
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  sandbox_image = "127.0.0.1:1/never-pulled:pause"',
      '  disable_tcp_service = true',
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      '  disable_apparmor = true',
      '  restrict_oom_score_adj = true',
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "native"',
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      `    bin_dir = ${JSON.stringify(join(dir, 'cni', 'bin'))}`,
      `    conf_dir = ${JSON.stringify(join(dir, 'cni', 'conf'))}`,
      '  [plugins."io.containerd.grpc.v1.cri".registry]',
      `    config_path = ${JSON.stringify(cri.configPath)}`,
    ] : []),
    '',
  ].join('\n'));
  const crictlConfig = join(dir, 'crictl.yaml');
  writeFileSync(crictlConfig, `runtime-endpoint: unix://${sock}\nimage-endpoint: unix://${sock}\ntimeout: 60\n`);
  const child = spawn('containerd', ['--config', config, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
  const crictl = (args) => {
    const r = spawnSync(findCrictl(), ['--config', crictlConfig, ...args], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) throw r.error;
    return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
  };
  const handle = {
    sock,
    root,
    ctr,
    crictl,
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
