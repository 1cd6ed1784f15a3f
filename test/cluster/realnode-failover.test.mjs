// The seed's own failure, for real (issue 14): two REAL nodes (realnode.mjs
// twoNodeOptions(): each in its own network namespace with its own
// containerd, kubelet, kube-proxy and CNI bridge), both labelled registry
// nodes, one host directory as the shared "NAS". Helm 4 installs the chart;
// skopeo pushes two images over TLS to the ClusterIP; the node running the
// registry pod CRASHES (SIGKILL to kubelet, kube-proxy, containerd, shims and
// containers, its link down: no drain); the test measures until /v2/ answers
// again through the same ClusterIP from the other node, then the surviving
// node's kubelet pulls both images by digest. The dead node comes back: the
// old pod is cleaned up and the storage holds one copy of everything.
// Simulated: the NAS (a host directory both nodes see, not NFS: this kernel
// has none) and the mount DaemonSet's mount (its test hooks). Real: the rest.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realNodeTestsEnabled, startCluster } from './harness.mjs';
import { buildChartWithCli } from './lifecycle.mjs';
import {
  HELM_BINS, chartWithMountHooks, helmRun, ociLayoutFromTar, realNodeValues, skopeoPush, writeMountHooks,
} from './realnode-chart.mjs';
import { twoNodeOptions } from './realnode.mjs';

const FILE = 'test/cluster/realnode-failover.test.mjs';
const NS = 'creg';
const REL = 'r';
const FULL = `${REL}-creg`;
const PORT = 5000;
// The controller-manager runs with its defaults (harness.mjs): a node turns
// NotReady 50 s (--node-monitor-grace-period, v1.32+ default) after its last
// heartbeat; the registry pods tolerate that for registry.failover.tolerationSeconds.
const GRACE_S = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const b64d = (s) => Buffer.from(s ?? '', 'base64').toString('utf8');

if (realNodeTestsEnabled(test, FILE)) {
  const s = { timings: [], figures: {} };
  let startError;
  const t0 = Date.now();

  test.before(async () => {
    try {
      s.work = mkdtempSync(join(tmpdir(), 'creg-realnode-fo-'));
      s.shared = join(s.work, 'shared');
      mkdirSync(s.shared, { recursive: true });
      s.built = buildChartWithCli(join(s.work, 'out'));
      s.cluster = await startCluster({
        realNodes: twoNodeOptions({ labels: { node: 'registry' }, sharedDir: s.shared }),
        label: FILE,
      });
      s.nodes = s.cluster.realNodes;
      // One hook set for both nodes (they share this machine's mount namespace);
      // the test's own PID outlives a crashed node's kubelet.
      s.hooks = writeMountHooks(s.nodes[0], { pid: process.pid });
      s.tgz = chartWithMountHooks(s.built.chartDir, s.hooks.env, s.work);
    } catch (e) {
      startError = e;
      console.error(`[${FILE}] could not start: ${e.stack || e}`);
    }
    if (s.cluster) {
      console.log(`\ntwo real nodes Ready (${s.nodes.map((n) => `${n.name} ${n.ip} in netns ${n.netns.name}: ${secs(n.readyMs)}`).join(', ')}); cluster start ${secs(s.cluster.startupMs)}`);
    }
  });
  test.before.each(() => {
    if (startError) throw new Error(`the two real nodes or the chart build failed before the tests: ${startError.message.split('\n')[0]} (details above)`);
  });
  test.after(async () => {
    try {
      if (s.cluster) await s.cluster.stop();
    } finally {
      if (s.work) rmSync(s.work, { recursive: true, force: true });
      console.log(`[${FILE}] timings: ${s.timings.map(([k, ms]) => `${k} ${secs(ms)}`).join('; ')}`);
      console.log(`[${FILE}] figures: ${JSON.stringify(s.figures)}`);
      console.log(`[${FILE}] wall time, node start and teardown included: ${secs(Date.now() - t0)}`);
    }
  });

  const get = async (path) => {
    const r = await s.cluster.request('GET', path);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body}`);
    return r.json;
  };
  const waitFor = async (what, fn, ms = 180000, every = 500) => {
    const until = Date.now() + ms;
    for (;;) {
      let last;
      try { last = await fn(); } catch (e) { if (Date.now() > until) throw e; }
      if (last) return last;
      if (Date.now() > until) throw new Error(`timed out after ${secs(ms)} waiting for ${what}`);
      await sleep(every);
    }
  };
  const kubectl = (args, input) => {
    const r = s.cluster.kubectl(args, { input, timeoutMs: 120000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const helmOk = (args) => {
    const r = helmRun(HELM_BINS.helm4, args, { work: s.work, kubeconfig: s.cluster.kubeconfig });
    s.timings.push([`helm4 ${args[0]}`, r.ms]);
    if (r.status !== 0) {
      throw new Error(`helm ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}\n${kubectl(['get', 'pods', '-A', '-o', 'wide'])}`);
    }
    return r;
  };
  const isReady = (p) => (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
  const registryPods = async () => (await get(`/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/component=registry')}`)).items;
  const nodeOf = (name) => s.nodes.find((n) => n.name === name);
  const caFile = () => join(s.work, 'ca.crt');
  /** curl in a node's network namespace, trusting only the chart's CA: { code, headers, body } or null. */
  const curl = (node, path, { head = false, accept, timeout = 3 } = {}) => {
    const out = join(s.work, 'curl.out');
    const hdr = join(s.work, 'curl.headers');
    rmSync(out, { force: true });
    rmSync(hdr, { force: true });
    const args = ['-sS', '--cacert', caFile(), '--max-time', String(timeout), '-o', out, '-D', hdr, '-w', '%{http_code}'];
    if (head) args.push('-I');
    if (accept) args.push('-H', `Accept: ${accept}`);
    const r = node.exec('curl', [...args, `https://${s.ip}:${PORT}${path}`], { timeoutMs: (timeout + 5) * 1000 });
    if (r.status !== 0) return null;
    const body = existsSync(out) ? readFileSync(out) : Buffer.alloc(0);
    return { code: Number(r.stdout.trim()), body: body.toString('utf8'), bytes: body, headers: existsSync(hdr) ? readFileSync(hdr, 'utf8') : '' };
  };
  const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json';
  const digestOf = (node, repo, ref) => {
    const r = curl(node, `/v2/${repo}/manifests/${ref}`, { head: true, accept: MANIFEST_TYPES });
    return r?.code === 200 ? /docker-content-digest:\s*(sha256:[0-9a-f]{64})/i.exec(r.headers)?.[1] : null;
  };
  /** A Pod on `node` from <ClusterIP>:5000/<repo>@<digest> (imagePullPolicy Always); resolves when its container started. */
  const pullByDigest = async (node, name, repo, digest, command) => {
    kubectl(['apply', '-n', NS, '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node.name,
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'x', image: `${s.ip}:${PORT}/${repo}@${digest}`, imagePullPolicy: 'Always', ...(command ? { command } : {}) }],
      },
    }));
    return waitFor(`pod ${name} pulling ${repo}@${digest} on ${node.name}`, async () => {
      const p = await get(`/api/v1/namespaces/${NS}/pods/${name}`);
      const st = p?.status?.containerStatuses?.[0];
      if (st?.state?.waiting && /InvalidImageName|ErrImageNeverPull/.test(st.state.waiting.reason)) throw new Error(`${name}: ${st.state.waiting.reason} ${st.state.waiting.message}`);
      return st && (st.state?.running || st.state?.terminated) ? p : null;
    }, 120000);
  };
  /**
   * True when repo@digest is a whole image: the manifest's bytes hash to its
   * digest and its config and every layer answer 200.
   */
  const wholeImage = (node, repo, digest) => {
    if (!digest) return false;
    const m = curl(node, `/v2/${repo}/manifests/${digest}`, { accept: MANIFEST_TYPES, timeout: 10 });
    if (m?.code !== 200) return false;
    if (`sha256:${createHash('sha256').update(m.bytes).digest('hex')}` !== digest) throw new Error(`${repo}@${digest}: manifest bytes do not hash to the digest`);
    const manifest = JSON.parse(m.body);
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const r = curl(node, `/v2/${repo}/blobs/${d}`, { head: true, timeout: 10 });
      if (r?.code !== 200 && r?.code !== 307) throw new Error(`${repo}@${digest}: blob ${d} answers ${r?.code ?? 'nothing'}`);
    }
    return true;
  };
  /** Every regular file under dir, relative. */
  const filesUnder = (dir, rel = '') => readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? filesUnder(dir, join(rel, e.name)) : [join(rel, e.name)]));

  test('two real nodes, each in its own network namespace, both registry nodes, pods and Services across them', async () => {
    assert.is(s.nodes.length, 2);
    for (const n of s.nodes) {
      const obj = await get(`/api/v1/nodes/${n.name}`);
      assert.is(obj.metadata.labels.node, 'registry');
      assert.ok(obj.status.addresses.some((a) => a.type === 'InternalIP' && a.address === n.ip), JSON.stringify(obj.status.addresses));
      // Its own namespace: its own eth0 address and its own KUBE-SERVICES chain.
      assert.match(n.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout, new RegExp(`inet ${n.ip.replace(/\./g, '\\.')}/30`));
      await waitFor(`kube-proxy rules in ${n.netns.name}`, () => /KUBE-SVC-/.test(n.exec('iptables', ['-w', '-t', 'nat', '-S', 'KUBE-SERVICES']).stdout), 30000);
      assert.not.match(spawnSync('iptables', ['-w', '-t', 'nat', '-S'], { encoding: 'utf8' }).stdout, /KUBE-SVC-/, 'no kube-proxy rules in this machine\'s own namespace');
    }
    assert.is.not(s.nodes[0].certsDir, undefined);
    assert.is(s.nodes[0].certsDir, s.nodes[1].certsDir, 'one certs.d for both (the same path on every node)');
  });

  test('Helm 4 installs the chart on the two nodes; skopeo pushes two images over TLS to the ClusterIP', async () => {
    const nas = join(s.work, 'nas');
    const values = realNodeValues(s.nodes[0], { mountPath: nas });
    const vf = join(s.work, 'values.json');
    writeFileSync(vf, JSON.stringify(values));
    s.values = values;
    helmOk(['install', REL, s.tgz, '-n', NS, '--create-namespace', '-f', vf, '--wait=legacy', '--timeout', '5m']);
    const svc = await get(`/api/v1/namespaces/${NS}/services/registry-svc`);
    s.ip = svc.spec.clusterIP;
    writeFileSync(caFile(), b64d((await get(`/api/v1/namespaces/${NS}/secrets/${FULL}-ca`)).data['ca.crt']));
    const pods = (await registryPods()).filter(isReady);
    assert.is(pods.length, 1, 'one registry pod');
    const rc = await get(`/api/v1/namespaces/${NS}/replicationcontrollers/${FULL}`);
    const tol = rc.spec.template.spec.tolerations;
    s.figures.tolerationSeconds = tol.find((t) => t.key === 'node.kubernetes.io/unreachable').tolerationSeconds;
    assert.is(s.figures.tolerationSeconds, 30, 'the default registry.failover.tolerationSeconds');
    // Signed certificate served to both nodes (their own kube-proxy each).
    for (const n of s.nodes) {
      await waitFor(`/v2/ from ${n.name}`, () => curl(n, '/v2/')?.code === 200, 90000);
    }
    s.images = {};
    for (const [repo, img] of [['x', s.nodes[0].images.busybox], ['p', s.nodes[0].images.pause]]) {
      const tar = s.nodes[0].imageFiles.find((i) => i.name === img).file;
      const layout = ociLayoutFromTar(tar, join(s.work, `layout-${repo}`));
      const push = skopeoPush({ from: `oci:${layout}:test`, ip: s.ip, port: PORT, ref: `${repo}:v1`, caPem: readFileSync(caFile(), 'utf8'), work: s.work, via: s.nodes[1] });
      assert.is(push.status, 0, `skopeo push ${repo}:v1 failed:\n${push.stderr}`);
      s.timings.push([`skopeo push ${repo}`, push.ms]);
      const digest = digestOf(s.nodes[0], repo, 'v1');
      assert.match(digest || '', /^sha256:/, `digest of ${repo}:v1`);
      // (skopeo compresses the layout's uncompressed layer for a registry, so the
      // manifest is a new one: its digest is the registry's answer.)
      assert.ok(wholeImage(s.nodes[0], repo, digest), `${repo}@${digest} whole`);
      s.images[repo] = digest;
    }
  });

  test('the registry node crashes: the ClusterIP serves again from the other node, whose kubelet pulls both images by digest', async () => {
    const [pod] = (await registryPods()).filter(isReady);
    const victim = nodeOf(pod.spec.nodeName);
    const survivor = s.nodes.find((n) => n !== victim);
    s.victim = victim;
    s.survivor = survivor;
    s.oldPod = pod.metadata.name;
    console.log(`registry pod ${pod.metadata.name} on ${victim.name}: crashing it (SIGKILL kubelet, kube-proxy, containerd, shims, containers; link down)`);
    const tCrash = victim.crash();
    const marks = {};
    const mark = (k) => { if (!marks[k]) marks[k] = Date.now() - tCrash; };
    // Poll the API and the ClusterIP (from the surviving node) once a second.
    await waitFor('/v2/ through the ClusterIP from the surviving node', async () => {
      const n = await get(`/api/v1/nodes/${victim.name}`);
      if ((n.status.conditions || []).some((c) => c.type === 'Ready' && c.status !== 'True')) mark('nodeNotReady');
      const pods = await registryPods();
      if (pods.some((p) => p.metadata.name === s.oldPod && p.metadata.deletionTimestamp)) mark('oldPodEvicted');
      const fresh = pods.find((p) => p.metadata.name !== s.oldPod);
      if (fresh?.spec.nodeName) mark('replacementScheduled');
      if (fresh && isReady(fresh)) mark('replacementReady');
      return curl(survivor, '/v2/', { timeout: 2 })?.code === 200;
    }, 300000, 1000);
    mark('serving');
    await pullByDigest(survivor, 'pull-x', 'x', s.images.x, ['sh', '-c', 'echo pulled-x']);
    mark('firstPull');
    const pp = await pullByDigest(survivor, 'pull-p', 'p', s.images.p);
    mark('bothPulled');
    // What the kubelet recorded: the digests pushed before the crash.
    const px = await get(`/api/v1/namespaces/${NS}/pods/pull-x`);
    assert.match(px.status.containerStatuses[0].imageID, new RegExp(`${s.images.x}$`));
    assert.match(pp.status.containerStatuses[0].imageID, new RegExp(`${s.images.p}$`));
    for (const repo of ['x', 'p']) assert.is(digestOf(survivor, repo, 'v1'), s.images[repo], `${repo}:v1 by tag after the failover`);
    s.figures.crashTo = Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, secs(v)]));
    s.figures.settings = `controller-manager --node-monitor-grace-period ${GRACE_S}s (default), registry.failover.tolerationSeconds ${s.figures.tolerationSeconds}`;
    console.log(`FAILOVER (${s.figures.settings}): crash -> node NotReady ${secs(marks.nodeNotReady)}, -> old pod evicted ${secs(marks.oldPodEvicted)}, `
      + `-> replacement scheduled ${secs(marks.replacementScheduled)}, -> ready ${secs(marks.replacementReady)}, `
      + `-> /v2/ serving through the ClusterIP ${secs(marks.serving)}, -> first kubelet pull by digest ${secs(marks.firstPull)}, both ${secs(marks.bothPulled)}`);
    assert.ok(marks.serving < 300000);
  });

  test('the dead node comes back: the old pod is cleaned up, one registry pod, one copy of the storage', async () => {
    const ms = await s.victim.restart();
    s.timings.push([`${s.victim.name} back Ready`, ms]);
    await waitFor(`old pod ${s.oldPod} gone`, async () => !(await get(`/api/v1/namespaces/${NS}/pods/${s.oldPod}`)), 120000);
    const pods = await registryPods();
    assert.is(pods.length, 1, `registry pods: ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}`).join(', ')}`);
    assert.is(pods[0].spec.nodeName, s.survivor.name);
    // No registry container running on the returned node.
    await waitFor(`no registry container running on ${s.victim.name}`, () => {
      const r = s.victim.crictl(['ps', '--name', 'registry', '-q']);
      return r.status === 0 && r.stdout.trim() === '';
    }, 60000);
    // Both nodes see the same catalog through the ClusterIP (the returned node's own kube-proxy).
    await waitFor(`/v2/ from ${s.victim.name}`, () => curl(s.victim, '/v2/')?.code === 200, 60000);
    for (const n of s.nodes) {
      assert.equal(JSON.parse(curl(n, '/v2/_catalog').body).repositories.sort(), ['p', 'x']);
      for (const repo of ['x', 'p']) assert.is(digestOf(n, repo, 'v1'), s.images[repo]);
    }
    // One copy: every blob once on the NAS, each file's content matches its digest,
    // no upload left over, and nothing written under either node's own root.
    const storage = join(s.values.nas.mountPath, 'registry');
    const root = existsSync(join(storage, 'docker')) ? storage : s.values.nas.mountPath;
    const files = filesUnder(root);
    const blobs = files.filter((f) => /blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\/data$/.test(f));
    for (const f of blobs) {
      const want = /([0-9a-f]{64})\/data$/.exec(f)[1];
      assert.is(createHash('sha256').update(readFileSync(join(root, f))).digest('hex'), want, `${f} corrupt`);
    }
    assert.is(new Set(blobs.map((f) => /([0-9a-f]{64})\/data$/.exec(f)[1])).size, blobs.length);
    assert.ok(blobs.length >= 6, `blobs: ${blobs.join(', ')}`); // 2 x (manifest, config, layer)
    assert.equal(files.filter((f) => /_uploads\/.+/.test(f)), [], 'no half-written uploads');
    s.figures.storageBlobs = blobs.length;
  });

  test('replicas: 2, sessionAffinity ClientIP: a push in flight when its replica\'s node crashes completes or fails cleanly, and a retry lands whole', async () => {
    const vf = join(s.work, 'values-ha.json');
    writeFileSync(vf, JSON.stringify({ ...s.values, registry: { ...(s.values.registry || {}), replicas: 2 }, service: { sessionAffinity: 'ClientIP' } }));
    helmOk(['upgrade', REL, s.tgz, '-n', NS, '-f', vf, '--wait=legacy', '--timeout', '5m']);
    const svc = await get(`/api/v1/namespaces/${NS}/services/registry-svc`);
    assert.is(svc.spec.sessionAffinity, 'ClientIP');
    const ready = await waitFor('2 ready registry pods', async () => {
      const pods = (await registryPods()).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 2 && pods.every(isReady) ? pods : null;
    }, 180000);
    console.log(`replicas: ${ready.map((p) => `${p.metadata.name}@${p.spec.nodeName} ${p.status.podIP}`).join(', ')}`);
    // The pusher runs in node 2's namespace; its traffic is slowed (tbf, 40 Mbit/s)
    // so the ~100 MB push of the node image is still in flight when the node dies.
    const pusher = s.nodes[1];
    for (const dev of ['eth0', 'cni0']) {
      const r = pusher.exec('tc', ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', '40mbit', 'burst', '64kb', 'latency', '2s']);
      assert.is(r.status, 0, `tc on ${dev}: ${r.stderr}`);
    }
    const tar = pusher.imageFiles.find((i) => i.name === pusher.images.node).file;
    const layout = ociLayoutFromTar(tar, join(s.work, 'layout-big'));
    const pushArgs = (node) => ['--policy', join(s.work, 'policy.json'), '--command-timeout', '60s', 'copy', '--retry-times', '0',
      '--dest-cert-dir', join(s.work, `certs-${s.ip}-${PORT}`), `oci:${layout}:test`, `docker://${s.ip}:${PORT}/big:v1`];
    const inFlight = spawn('nsenter', [`--net=/run/netns/${pusher.netns.name}`, '--', 'skopeo', ...pushArgs(pusher)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pushErr = '';
    inFlight.stderr.on('data', (d) => { pushErr += d; });
    const done = new Promise((r) => inFlight.on('exit', (code) => r(code)));
    // Which replica carries it: the DNAT in the pusher's conntrack table.
    const podIp = await waitFor('the push connection in conntrack', () => {
      const r = pusher.exec('conntrack', ['-L', '-p', 'tcp', '-d', s.ip, '--dport', String(PORT)]);
      return /ESTABLISHED.* src=(10\.244\.\d+\.\d+) dst=\S+ sport=5000/.exec(r.stdout)?.[1];
    }, 30000, 200);
    await sleep(3000);
    const target = ready.find((p) => p.status.podIP === podIp);
    assert.ok(target, `pod with IP ${podIp}`);
    const victim = nodeOf(target.spec.nodeName);
    const live = s.nodes.find((n) => n !== victim);
    const tCrash = victim.crash();
    const code = await done;
    const outcome = code === 0 ? 'completed' : `failed (${(pushErr.trim().split('\n').pop() || '').slice(0, 160)})`;
    console.log(`push in flight to ${target.metadata.name}@${victim.name}: crashed that node; the push ${outcome} after ${secs(Date.now() - tCrash)}`);
    s.figures.inFlightPush = outcome.split(' ')[0];
    for (const dev of ['eth0', 'cni0']) pusher.exec('tc', ['qdisc', 'del', 'dev', dev, 'root']);
    // Nothing half-written is an image: big:v1 is absent, or whole with the pushed digest.
    const answer = await waitFor(`the registry from ${live.name}`, () => {
      const r = curl(live, '/v2/big/manifests/v1', { head: true, accept: MANIFEST_TYPES });
      return r && [200, 404].includes(r.code) ? r : null;
    }, 300000, 1000);
    s.figures.inFlightVisibleAfterCrash = answer.code === 200 ? 'big:v1 present' : 'big:v1 absent (404)';
    if (answer.code === 200) assert.ok(wholeImage(live, 'big', digestOf(live, 'big', 'v1')), 'a visible big:v1 is a whole image');
    // Retried (from the live node) until it works; then it is whole.
    const tRetry = Date.now();
    let retries = 0;
    await waitFor('the retried push', () => {
      retries += 1;
      const r = live.exec('skopeo', pushArgs(live), { timeoutMs: 180000 });
      return r.status === 0;
    }, 300000, 3000);
    console.log(`retried push succeeded after ${retries} attempt(s), ${secs(Date.now() - tRetry)}`);
    assert.ok(wholeImage(live, 'big', digestOf(live, 'big', 'v1')), 'big:v1 whole after the retry');
    // The images of the first failover are still there, by digest.
    for (const repo of ['x', 'p']) assert.is(digestOf(live, repo, 'v1'), s.images[repo]);
  });

  test.run();
}
