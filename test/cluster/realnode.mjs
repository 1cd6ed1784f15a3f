// A REAL Kubernetes node for the cluster tests: kubelet + containerd + runc +
// a CNI bridge + kube-proxy (iptables mode), joined to the control plane of
// test/cluster/harness.mjs, running real pods from images built on this
// machine (test/cluster/images.mjs). Facts behind every setting below:
// docs in /work/shared/DESIGN.md section 5 (summarised in test/cluster/README.md).
//
//   import { startCluster } from './harness.mjs';
//   const cluster = await startCluster({ realNode: true });   // takes the lock
//   cluster.node.name, cluster.node.ip, cluster.node.images, cluster.node.certsDir ...
//   await cluster.stop();                                     // tears down, releases the lock
//
// One real node at a time per machine: fixed ports, iptables, the cni0 bridge
// and /var/lib/cni are machine-wide. startCluster({ realNode }) holds an
// exclusive flock on /run/creg-chart-realnode.lock for the node's whole life.
//
// Everything node-specific (name, IP, bridge, pod subnet, ports, state root)
// is an option, so a second node (issue 14: in its own network namespace) can
// be added with other values; NODE_DEFAULTS is node 1.
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  IMAGES, REGISTRY_BUILD_COMMAND, ensureImages, importImages, pauseSource, registryBinary,
} from './images.mjs';

export const REALNODE_LOCK = '/run/creg-chart-realnode.lock';
/** The one command that installs and builds every piece a real node needs. */
export const SETUP_COMMAND = 'bash scripts/setup-real-node.sh';
export const CRICTL_VERSION = 'v1.34.0';
export const CNI_BIN_DIR = '/usr/lib/cni';

/** Control plane ports in real-node mode (fixed, below the ephemeral range 32768-60999). */
export const REALNODE_CONTROL_PLANE_PORTS = { etcdClient: 21379, etcdPeer: 21380, apiserver: 21443 };

/** Node 1. A second node needs another name, ip, bridge, podSubnet, ports and (issue 14) netns. */
export const NODE_DEFAULTS = {
  name: 'creg-node-1',
  ip: null, // default: eth0's IPv4 address (192.0.2.2 on the project machines)
  netns: null, // reserved for a node in its own network namespace (not built yet)
  bridge: 'cni0',
  podSubnet: '10.244.1.0/24',
  clusterCidr: '10.244.0.0/16',
  cniNetwork: 'creg-realnode-1',
  labels: {},
  ports: {
    kubelet: 21250, kubeletHealthz: 21248, proxyHealthz: 21256, proxyMetrics: 21249, containerdStream: 21010,
  },
};

/** Sysctls the kubelet, kube-proxy or the bridge plugin may change; restored at teardown. */
const SYSCTLS = [
  'vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward', 'net/ipv4/conf/all/forwarding', 'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables',
  'net/netfilter/nf_conntrack_max', 'net/netfilter/nf_conntrack_tcp_timeout_established',
  'net/netfilter/nf_conntrack_tcp_timeout_close_wait', 'net/netfilter/nf_conntrack_tcp_be_liberal',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

function onPath(cmd) {
  for (const d of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try { accessSync(join(d, cmd), constants.X_OK); return join(d, cmd); } catch { /* next */ }
  }
  return null;
}

export const crictlPath = () => process.env.CRICTL
  || join(process.env.HOME || '/root', '.cache', 'creg-chart', `crictl-${CRICTL_VERSION}`, 'crictl');

/** eth0's IPv4 address (or $CREG_NODE_IP). */
export function defaultNodeIp() {
  if (process.env.CREG_NODE_IP) return process.env.CREG_NODE_IP;
  const r = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout || '')?.[1] || null;
}

/**
 * What is missing for a real node, as sentences (empty: everything is there).
 * binDir/missingBinaries come from harness.mjs (passed in to avoid a cycle).
 */
export function realNodeMissing({ binDir, missingBinaries, k8sVersion }) {
  const out = [];
  if (process.getuid && process.getuid() !== 0) out.push('root (kubelet, containerd and iptables need it)');
  const bins = missingBinaries(binDir);
  if (bins.length) out.push(`${bins.join(', ')} in ${binDir}`);
  const cmds = ['containerd', 'containerd-shim-runc-v2', 'runc', 'ctr', 'iptables', 'ip6tables', 'iptables-save',
    'conntrack', 'flock', 'gcc', 'strip', 'dpkg-deb', 'apt-get', 'skopeo', 'ip', 'tar'];
  const noCmd = cmds.filter((c) => !onPath(c));
  if (noCmd.length) out.push(`commands ${noCmd.join(', ')}`);
  const noCni = ['bridge', 'host-local', 'portmap', 'loopback'].filter((p) => !existsSync(join(CNI_BIN_DIR, p)));
  if (noCni.length) out.push(`CNI plugins ${noCni.join(', ')} in ${CNI_BIN_DIR}`);
  if (!existsSync(registryBinary())) out.push(`the Distribution registry binary ${registryBinary()}`);
  try {
    if (!existsSync(pauseSource(k8sVersion))) out.push(`pause.c of k8s.io/kubernetes@${k8sVersion} in the Go module cache`);
  } catch { out.push('go (for the module cache holding pause.c)'); }
  if (!defaultNodeIp() && !process.env.CREG_NODE_IP) out.push('an IPv4 address on eth0 (or set CREG_NODE_IP to this machine\'s own non-loopback address)');
  return out;
}

// ---- the lock ----

/**
 * Takes the exclusive real-node lock; resolves { release(), holderPid }.
 * The lock is held by a detached `flock ... sh` process that also acts as the
 * watchdog: if this Node process dies without releasing (SIGKILL, crash), it
 * runs teardownScript, then exits, which releases the lock.
 */
export async function acquireRealNodeLock({ label, teardownScript, waitSeconds = 3600, log = () => {} }) {
  const probe = spawnSync('flock', ['-n', REALNODE_LOCK, 'true']);
  if (probe.status !== 0) {
    let holder = '';
    try { holder = readFileSync(REALNODE_LOCK, 'utf8').trim(); } catch { /* none */ }
    console.error(`[realnode] waiting for ${REALNODE_LOCK}: another real-node test is running (${holder || 'holder unknown'}); `
      + `only one real node runs on this machine at a time (waiting up to ${waitSeconds} s)`);
  }
  const t0 = Date.now();
  const script = `echo locked; while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; [ -f "$1" ] && sh "$1" >/dev/null 2>&1; exit 0`;
  const holder = spawn('flock', ['-w', String(waitSeconds), '-E', '75', REALNODE_LOCK, 'sh', '-c', script, 'sh', teardownScript], {
    detached: true, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ok = await new Promise((resolve) => {
    let buf = '';
    holder.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('locked')) resolve(true);
    });
    holder.on('exit', (code) => resolve(code));
    holder.on('error', (e) => resolve(e));
  });
  if (ok !== true) {
    throw new Error(ok === 75
      ? `Timed out after ${waitSeconds} s waiting for ${REALNODE_LOCK} (another real-node test holds it: see its holder line in that file).`
      : `Could not take ${REALNODE_LOCK} with flock: ${ok}`);
  }
  holder.stdout.destroy();
  holder.unref();
  writeFileSync(REALNODE_LOCK, `pid ${process.pid} ${label} since ${new Date().toISOString()}\n`);
  if (Date.now() - t0 > 1000) console.error(`[realnode] got ${REALNODE_LOCK} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  log(`holding ${REALNODE_LOCK} (holder pid ${holder.pid})`);
  let released = false;
  return {
    holderPid: holder.pid,
    release() {
      if (released) return;
      released = true;
      try { process.kill(-holder.pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

// ---- teardown: one shell script, run by stop() and by the lock's watchdog ----

function readSysctls() {
  const v = {};
  for (const s of SYSCTLS) {
    try { v[s] = readFileSync(join('/proc/sys', s), 'utf8').trim(); } catch { /* absent */ }
  }
  return v;
}

/**
 * The teardown script's text. state: { root, pids[], bin, bridge, cniNetwork,
 * sysctls, netnsBefore[], shimSocketsBefore[] }. Idempotent; never fails.
 */
export function teardownScriptText(s) {
  const lines = [
    '#!/bin/sh',
    '# Generated by test/cluster/realnode.mjs: tears the real node and its control plane down.',
    'set +e',
    `T=${q(s.root)}`,
    `[ -n "$T" ] && [ "$T" != / ] || exit 0`,
    `for p in ${(s.pids || []).join(' ')}; do kill -9 "$p" 2>/dev/null; done`,
    // Containers: runc's state lives under <node root>/runc/<namespace>
    // (containerd's runtime option Root).
    `for d in "$T"/nodes/*/runc/*; do [ -d "$d" ] || continue; for id in $(runc --root "$d" list -q 2>/dev/null); do`,
    '  runc --root "$d" kill -a "$id" KILL 2>/dev/null; runc --root "$d" delete -f "$id" 2>/dev/null; done; done',
    // Anything left: our shims (their argv names our containerd socket) and
    // their children (each container's init; killing it ends its PID namespace).
    'shims=""',
    'for p in /proc/[0-9]*; do',
    '  if tr "\\0" " " < "$p/cmdline" 2>/dev/null | grep -q "^[^ ]*containerd-shim[^ ]* .*$T/"; then shims="$shims ${p#/proc/}"; fi',
    'done',
    'for s in $shims; do for c in $(cat /proc/$s/task/*/children 2>/dev/null); do kill -9 "$c" 2>/dev/null; done; kill -9 "$s" 2>/dev/null; done',
    'sleep 0.3',
    // Mounts under $T, deepest first; then network namespaces created since start.
    'awk -v t="$T/" \'index($5, t) == 1 { print $5 }\' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done',
    `for ns in /run/netns/cni-*; do [ -e "$ns" ] || continue; case ' ${(s.netnsBefore || []).join(' ')} ' in *" $ns "*) continue ;; esac;`,
    '  umount -l "$ns" 2>/dev/null; rm -f "$ns"; done',
    // iptables: kube-proxy's own cleanup, then every KUBE-*/CNI-* chain and the rules that jump to them.
    s.bin ? `${q(join(s.bin, 'kube-proxy'))} --cleanup >/dev/null 2>&1` : ':',
    'for ipt in iptables ip6tables; do for t in filter nat mangle raw; do',
    '  $ipt -t $t -S 2>/dev/null | grep -E "^-A " | grep -E "(KUBE-|CNI-)" | grep -vE "^-A (KUBE-|CNI-)" | sed "s/^-A /-D /" | while read -r rule; do eval "$ipt -w -t $t $rule" 2>/dev/null; done',
    '  for c in $($ipt -t $t -S 2>/dev/null | awk \'$1 == "-N" && $2 ~ /^(KUBE-|CNI-)/ { print $2 }\'); do $ipt -w -t $t -F "$c" 2>/dev/null; done',
    '  for c in $($ipt -t $t -S 2>/dev/null | awk \'$1 == "-N" && $2 ~ /^(KUBE-|CNI-)/ { print $2 }\'); do $ipt -w -t $t -X "$c" 2>/dev/null; done',
    'done; done',
    `ip link del ${q(s.bridge || 'cni0')} 2>/dev/null`,
    ...Object.entries(s.sysctls || {}).map(([k, v]) => `echo ${q(v)} > ${q(join('/proc/sys', k))} 2>/dev/null`),
    `rm -f /var/lib/cni/results/${q(s.cniNetwork || 'creg-realnode')}-* 2>/dev/null`,
    // The kubelet links every container log into /var/log/containers (fixed path).
    'for f in /var/log/containers/*.log; do case "$(readlink "$f" 2>/dev/null)" in "$T"/*) rm -f "$f" ;; esac; done',
    `for f in /run/containerd/s/*; do [ -e "$f" ] || continue; case ' ${(s.shimSocketsBefore || []).join(' ')} ' in *" $f "*) continue ;; esac; rm -f "$f"; done`,
    // Host directories the node created (only when empty: rmdir).
    ...(s.dirsCreated || []).map((d) => `rmdir ${q(d)} 2>/dev/null`),
    s.keep ? '# CREG_CP_KEEP: the temp root stays' : 'rm -rf "$T"',
    'exit 0',
    '',
  ];
  return lines.join('\n');
}

function listDir(dir, prefix = '') {
  try { return readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => join(dir, f)); } catch { return []; }
}

/** Records what teardown restores; call before anything starts. */
export function recordHostState() {
  // Fixed host paths the kubelet, containerd and libcni use; deepest first.
  const fixedDirs = ['/var/log/containers', '/var/lib/cni/results', '/var/lib/cni', '/run/containerd/s',
    '/run/containerd/io.containerd.runtime.v2.task/k8s.io', '/run/containerd/io.containerd.runtime.v2.task',
    '/run/containerd/runc/k8s.io', '/run/containerd/runc', '/run/containerd', '/run/netns'];
  return {
    dirsCreated: fixedDirs.filter((d) => !existsSync(d)),
    sysctls: readSysctls(),
    netnsBefore: listDir('/run/netns', 'cni-'),
    shimSocketsBefore: listDir('/run/containerd/s'),
  };
}

// ---- config files ----

export function containerdConfig({ root, ports }) {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${root}/containerd/root"
state = "${root}/containerd/state"
# Only the overlayfs snapshotter; no tracing exporter.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${root}/containerd/containerd.sock"

[ttrpc]
  address = "${root}/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${root}/containerd/opt"

[${cri}]
  sandbox_image = "${IMAGES.pause}"
  # No process here has CAP_SYS_RESOURCE: without this every sandbox fails
  # with "can't get final child's PID from pipe: EOF" (DESIGN.md section 5).
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "${ports.containerdStream}"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  BinaryName = "runc"
  Root = "${root}/runc"
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = "${CNI_BIN_DIR}"
  conf_dir = "${root}/cni/net.d"
  max_conf_num = 1

[${cri}.registry]
  # The chart's node trust DaemonSet writes <ClusterIP>:<port>/ca.crt and hosts.toml here.
  config_path = "${root}/containerd/certs.d"
`;
}

export function cniConfig({ root, bridge, podSubnet, cniNetwork }) {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: cniNetwork,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: podSubnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(root, 'cni', 'ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export function kubeletConfig({ root, ip, ports, caFile, pki, name }) {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${ip}
port: ${ports.kubelet}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${ports.kubeletHealthz}
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${caFile} }
authorization: { mode: Webhook }
tlsCertFile: ${join(pki, `${name}-serving.crt`)}
tlsPrivateKeyFile: ${join(pki, `${name}-serving.key`)}
containerRuntimeEndpoint: unix://${root}/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
podLogsDir: ${root}/kubelet/pod-logs
volumePluginDir: ${root}/kubelet/volume-plugins
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# The disk here may be fuller than the defaults allow: never evict test pods
# or collect their images.
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusReportFrequency: 10s
`;
}

export function kubeProxyConfig({ ip, ports, kubeconfig, name, clusterCidr }) {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: ${kubeconfig} }
hostnameOverride: ${name}
bindAddress: ${ip}
healthzBindAddress: 127.0.0.1:${ports.proxyHealthz}
metricsBindAddress: 127.0.0.1:${ports.proxyMetrics}
mode: iptables
clusterCIDR: ${clusterCidr}
# Leave the host's conntrack settings alone (DESIGN.md section 5).
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { localhostNodePorts: false }
`;
}

function tail(file, lines = 30) {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return '(no log)'; }
}

/** VmRSS in KiB of a pid (0 when gone). */
function rssKiB(pid) {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] || 0); } catch { return 0; }
}

/**
 * Starts the real node against a running control plane (called by
 * startCluster({ realNode }) — use that: it holds the lock and orders teardown).
 * cluster: { dir, apiUrl, caFile, binDir, makeCert, kubeconfigFor, request, k8sVersion }
 * hooks: { track(proc), log }
 */
export async function startRealNode(cluster, nodeOpts, { track, log, deadline }) {
  const o = { ...NODE_DEFAULTS, ...nodeOpts, ports: { ...NODE_DEFAULTS.ports, ...(nodeOpts.ports || {}) } };
  if (o.netns) throw new Error('realNode.netns: a node in its own network namespace is not implemented yet (issue 14).');
  const ip = o.ip || cluster.nodeIp;
  const root = join(cluster.dir, 'nodes', o.name);
  const logDir = join(root, 'logs');
  for (const d of ['containerd/certs.d', 'containerd/opt', 'cni/net.d', 'cni/ipam', 'kubelet/pod-logs', 'kubelet/volume-plugins', 'runc', 'logs', 'hostpath']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const pki = join(cluster.dir, 'pki');
  const t0 = Date.now();
  const procs = [];
  const startProc = (name, file, args) => {
    const logFile = join(logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(file, args, { stdio: ['ignore', fd, fd], cwd: root, env: { ...process.env, HOME: root } });
    closeSync(fd);
    const entry = { name, child, logFile, exited: null, killNow() { try { child.kill('SIGKILL'); } catch { /* gone */ } } };
    child.on('exit', (code, signal) => { entry.exited = { code, signal }; });
    child.on('error', (e) => { entry.exited = { error: e }; });
    procs.push(entry);
    track(entry);
    return entry;
  };
  const failWith = (msg) => {
    const logs = procs.map((p) => `--- ${p.name} (${p.logFile}) ${p.exited ? `exited ${JSON.stringify(p.exited)}` : ''}\n${tail(p.logFile)}`).join('\n');
    return new Error(`real node ${o.name}: ${msg}\n${logs}`);
  };
  const waitFor = async (what, fn, intervalMs = 250) => {
    let last;
    while (Date.now() < deadline) {
      const dead = procs.find((p) => p.exited);
      if (dead) throw failWith(`${dead.name} exited during start-up`);
      try { if (await fn()) return; } catch (e) { last = e; }
      await sleep(intervalMs);
    }
    throw failWith(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
  };

  // Certificates: kubelet client (Node authorizer), kubelet serving, kube-proxy client.
  cluster.makeCert(`${o.name}-client`, `/O=system:nodes/CN=system:node:${o.name}`, 'clientAuth');
  cluster.makeCert(`${o.name}-serving`, `/CN=${o.name}`, 'serverAuth', `IP:${ip},DNS:${o.name}`);
  cluster.makeCert(`${o.name}-proxy`, '/CN=system:kube-proxy', 'clientAuth');
  const kubeletKubeconfig = cluster.kubeconfigFor(join(root, 'kubelet.kubeconfig'), `system:node:${o.name}`, `${o.name}-client`);
  const proxyKubeconfig = cluster.kubeconfigFor(join(root, 'kube-proxy.kubeconfig'), 'system:kube-proxy', `${o.name}-proxy`);

  // containerd, then the images.
  const images = await ensureImages({ k8sVersion: cluster.k8sVersion, log });
  const address = join(root, 'containerd', 'containerd.sock');
  writeFileSync(join(root, 'containerd', 'config.toml'), containerdConfig({ root, ports: o.ports }));
  writeFileSync(join(root, 'cni', 'net.d', '10-creg.conflist'), cniConfig({ root, bridge: o.bridge, podSubnet: o.podSubnet, cniNetwork: o.cniNetwork }));
  startProc('containerd', 'containerd', ['--config', join(root, 'containerd', 'config.toml'), '--log-level', 'warn']);
  await waitFor('containerd socket', () => spawnSync('ctr', ['--address', address, 'version'], { timeout: 5000 }).status === 0);
  const tImg = Date.now();
  importImages(images, { address, log });
  const importMs = Date.now() - tImg;
  log(`containerd up, ${images.length} images imported in ${importMs} ms`);

  // kubelet.
  const kubeletCfg = join(root, 'kubelet', 'config.yaml');
  writeFileSync(kubeletCfg, kubeletConfig({ root, ip, ports: o.ports, caFile: cluster.caFile, pki, name: o.name }));
  const labels = Object.entries(o.labels || {}).map(([k, v]) => `${k}=${v}`).join(',');
  startProc('kubelet', join(cluster.binDir, 'kubelet'), [
    `--config=${kubeletCfg}`,
    `--kubeconfig=${kubeletKubeconfig}`,
    `--root-dir=${join(root, 'kubelet')}`,
    `--cert-dir=${join(root, 'kubelet', 'pki')}`,
    `--hostname-override=${o.name}`,
    `--node-ip=${ip}`,
    ...(labels ? [`--node-labels=${labels}`] : []),
    '--v=1',
  ]);
  // kube-proxy.
  const proxyCfg = join(root, 'kube-proxy.yaml');
  writeFileSync(proxyCfg, kubeProxyConfig({ ip, ports: o.ports, kubeconfig: proxyKubeconfig, name: o.name, clusterCidr: o.clusterCidr }));
  startProc('kube-proxy', join(cluster.binDir, 'kube-proxy'), [`--config=${proxyCfg}`, `--hostname-override=${o.name}`, '--v=1']);

  await waitFor(`node ${o.name} Ready`, async () => {
    const r = await cluster.request('GET', `/api/v1/nodes/${o.name}`);
    return r.status === 200 && (r.json.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
  }, 500);
  const readyMs = Date.now() - t0;
  log(`node ${o.name} Ready after ${readyMs} ms`);

  const crictl = (args, opts = {}) => {
    const r = spawnSync(crictlPath(), ['--runtime-endpoint', `unix://${address}`, '--image-endpoint', `unix://${address}`, '--timeout', '20s', ...args], {
      encoding: 'utf8', timeout: opts.timeoutMs || 60000,
    });
    return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || (r.error ? String(r.error) : '') };
  };

  const node = {
    name: o.name,
    ip,
    root,
    logDir,
    images: { ...IMAGES },
    /** [{ name, file }]: the OCI layout tars imported into containerd */
    imageFiles: images,
    /** containerd's registry config_path: point nodeTrust.containerdCertsDir here. */
    certsDir: join(root, 'containerd', 'certs.d'),
    /** a scratch directory on the node's host for hostPath volumes (nas.mountPath etc.) */
    hostPathDir: join(root, 'hostpath'),
    containerdAddress: address,
    ports: o.ports,
    readyMs,
    importMs,
    crictl,
    /** ctr in containerd's k8s.io namespace: { status, stdout, stderr } */
    ctr: (args) => {
      const r = spawnSync('ctr', ['--address', address, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 60000 });
      return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
    },
    processes: () => procs.map((p) => ({ name: p.name, pid: p.child.pid, exited: p.exited, logFile: p.logFile })),
    /**
     * Memory the node uses now, in MiB (VmRSS): kubelet, kube-proxy, containerd,
     * the shims and every container process.
     */
    memoryMiB() {
      const parts = { kubelet: 0, 'kube-proxy': 0, containerd: 0, shims: 0, containers: 0 };
      for (const p of procs) if (!p.exited) parts[p.name] += rssKiB(p.child.pid);
      const { shims, containers } = node.podProcesses();
      for (const pid of shims) parts.shims += rssKiB(pid);
      for (const pid of containers) parts.containers += rssKiB(pid);
      const out = {};
      let total = 0;
      for (const [k, v] of Object.entries(parts)) { out[k] = Math.round(v / 1024); total += v; }
      out.total = Math.round(total / 1024);
      return out;
    },
    /** PIDs of this node's containerd shims and of every process under them (the containers). */
    podProcesses() {
      const children = new Map();
      const shims = [];
      for (const pd of listDir('/proc')) {
        const pid = pd.slice('/proc/'.length);
        if (!/^\d+$/.test(pid)) continue;
        try {
          const stat = readFileSync(`${pd}/stat`, 'utf8');
          const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
          if (!children.has(ppid)) children.set(ppid, []);
          children.get(ppid).push(pid);
          const argv = readFileSync(`${pd}/cmdline`, 'utf8').split('\0');
          if (/containerd-shim/.test(argv[0]) && argv.some((a) => a.startsWith(`${root}/`))) shims.push(pid);
        } catch { /* gone */ }
      }
      const containers = [];
      const queue = shims.flatMap((s) => children.get(s) || []);
      while (queue.length) {
        const pid = queue.shift();
        containers.push(pid);
        queue.push(...(children.get(pid) || []));
      }
      return { shims, containers };
    },
    /** Graceful part of the teardown; the rest is the shared teardown script. */
    async stop() {
      for (const name of ['kubelet', 'kube-proxy']) {
        const p = procs.find((x) => x.name === name);
        if (p && !p.exited) { try { p.child.kill('SIGTERM'); } catch { /* gone */ } }
      }
      const until = Date.now() + 5000;
      while (procs.some((p) => p.name !== 'containerd' && !p.exited) && Date.now() < until) await sleep(50);
      // Stops every sandbox through the CRI: CNI DEL releases IPs and CNI-* chains.
      if (!procs.find((p) => p.name === 'containerd').exited) {
        if (existsSync(crictlPath())) crictl(['rmp', '-fa'], { timeoutMs: 60000 });
        const c = procs.find((p) => p.name === 'containerd');
        try { c.child.kill('SIGTERM'); } catch { /* gone */ }
        const until2 = Date.now() + 5000;
        while (!c.exited && Date.now() < until2) await sleep(50);
      }
      for (const p of procs) if (!p.exited) p.killNow();
    },
  };
  return node;
}

export { REGISTRY_BUILD_COMMAND };
