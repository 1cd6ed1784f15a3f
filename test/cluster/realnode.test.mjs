// The real node itself (test/cluster/realnode.mjs): a real kubelet joins,
// real pods run from the local images, reach the API server through the
// `kubernetes` Service (kube-proxy DNAT), `kubectl logs` works, and the
// teardown leaves the host as it found it (no cni0, no KUBE-*/CNI-* chains,
// sysctls restored, temp root gone, lock free).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realNodeTestsEnabled, startCluster } from './harness.mjs';
import { REALNODE_LOCK } from './realnode.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SYSCTLS = ['vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops', 'net/ipv4/ip_forward'];
const readSysctls = () => Object.fromEntries(SYSCTLS.map((s) => [s, readFileSync(`/proc/sys/${s}`, 'utf8').trim()]));
const chains = () => ['iptables', 'ip6tables'].flatMap((ipt) => ['filter', 'nat', 'mangle'].flatMap((t) => {
  const r = spawnSync(ipt, ['-w', '-t', t, '-S'], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').filter((l) => /^-N (KUBE-|CNI-)/.test(l)).map((l) => `${ipt} ${t} ${l.slice(3)}`);
}));
const linkExists = (name) => spawnSync('ip', ['link', 'show', name], { encoding: 'utf8' }).status === 0;

if (realNodeTestsEnabled(test, 'test/cluster/realnode.test.mjs')) {
  let cluster;
  let startError;
  let before;
  test.before(async () => {
    before = { sysctls: readSysctls(), chains: chains() };
    const t0 = Date.now();
    try {
      cluster = await startCluster({ realNode: { labels: { node: 'registry' } }, label: 'test/cluster/realnode.test.mjs' });
    } catch (e) {
      startError = e;
      console.error(`real node did not start: ${e.stack || e}`);
      return;
    }
    console.log(`\nreal node ${cluster.node.name} Ready ${(cluster.node.readyMs / 1000).toFixed(1)} s after the API server; `
      + `cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (images imported in ${(cluster.node.importMs / 1000).toFixed(1)} s)`);
  });
  test.before.each(() => {
    if (startError) throw new Error(`the real node did not start: ${startError.message.split('\n')[0]} (details above)`);
  });
  test.after(async () => {
    if (cluster) await cluster.stop();
  });

  const kubectl = (args, input) => {
    const r = cluster.kubectl(args, { input, timeoutMs: 120000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const waitPod = async (name, phases, ms = 90000) => {
    const until = Date.now() + ms;
    let pod;
    while (Date.now() < until) {
      const r = await cluster.request('GET', `/api/v1/namespaces/default/pods/${name}`);
      pod = r.json;
      if (phases.includes(pod?.status?.phase)) return pod;
      await sleep(500);
    }
    throw new Error(`pod ${name} not ${phases.join('/')} after ${ms} ms: ${JSON.stringify(pod?.status, null, 1)}`);
  };

  test('the node registers with its labels, its IP and the kubelet port', async () => {
    const n = (await cluster.request('GET', `/api/v1/nodes/${cluster.node.name}`)).json;
    assert.is(n.metadata.labels.node, 'registry');
    assert.ok(n.status.addresses.some((a) => a.type === 'InternalIP' && a.address === cluster.node.ip), JSON.stringify(n.status.addresses));
    assert.is(n.status.daemonEndpoints.kubeletEndpoint.Port, cluster.node.ports.kubelet);
    assert.match(n.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
  });

  test('the four local images are in containerd for the CRI', () => {
    const r = cluster.node.ctr(['images', 'ls', '-q']);
    assert.is(r.status, 0, r.stderr);
    for (const img of Object.values(cluster.node.images)) assert.ok(r.stdout.split('\n').includes(img), `${img} not in:\n${r.stdout}`);
  });

  test('a real pod reaches the API server through the kubernetes Service and kubectl logs reads it', async () => {
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'default' },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{
          name: 'probe',
          image: cluster.node.images.node,
          imagePullPolicy: 'Never',
          command: ['node', '-e', `require('https').get({ host: process.env.KUBERNETES_SERVICE_HOST, port: 443, path: '/readyz', rejectUnauthorized: false },
            (r) => { console.log('readyz ' + r.statusCode + ' via ' + process.env.KUBERNETES_SERVICE_HOST); process.exit(r.statusCode === 200 ? 0 : 1); })
            .on('error', (e) => { console.log('error ' + e.message); process.exit(2); });`],
        }],
      },
    }));
    const pod = await waitPod('probe', ['Succeeded', 'Failed']);
    const logs = kubectl(['logs', 'probe']);
    assert.is(pod.status.phase, 'Succeeded', logs);
    assert.match(logs, /^readyz 200 via 10\.96\.0\.1$/m);
    assert.match(pod.status.podIP, /^10\.244\.1\./);
  });

  // (Kubernetes expands $(VAR) in command arguments: "$$$$" reaches sh as "$$".)
  test('busybox runs as a real container (its own PID namespace, the node trust script applets present)', async () => {
    kubectl(['run', 'bb', '--image', cluster.node.images.busybox, '--image-pull-policy=Never', '--restart=Never', '--',
      'sh', '-c', 'echo pid=$$$$; for a in cmp mktemp mv grep cat awk nsenter; do command -v $a >/dev/null || echo missing $a; done']);
    await waitPod('bb', ['Succeeded', 'Failed']);
    const logs = kubectl(['logs', 'bb']);
    assert.match(logs, /^pid=1$/m, logs);
    assert.not.match(logs, /missing/);
  });

  test('memory and teardown: the host is left as it was found', async () => {
    const mem = cluster.node.memoryMiB();
    console.log(`real node memory (VmRSS, MiB): ${JSON.stringify(mem)}`);
    assert.ok(mem.kubelet > 0 && mem.containerd > 0, JSON.stringify(mem));
    assert.ok(linkExists('cni0'), 'cni0 exists while pods run');
    assert.ok(chains().some((c) => / nat KUBE-SERVICES/.test(c)), 'kube-proxy chains exist while the node runs');
    kubectl(['run', 'sleeper', '--image', cluster.node.images.busybox, '--image-pull-policy=Never', '--', 'sleep', '3600']);
    await waitPod('sleeper', ['Running']);
    const { containers } = cluster.node.podProcesses();
    assert.ok(containers.length >= 2, `container processes found: ${containers}`); // pause + sleep
    const { dir } = cluster;
    const t0 = Date.now();
    await cluster.stop();
    cluster = null;
    console.log(`teardown took ${Date.now() - t0} ms`);
    assert.not.ok(existsSync(dir), `${dir} still exists`);
    assert.not.ok(linkExists('cni0'), 'cni0 still exists');
    assert.equal(chains(), before.chains, 'KUBE-*/CNI-* chains left behind');
    assert.equal(readSysctls(), before.sysctls, 'sysctls not restored');
    const free = spawnSync('flock', ['-n', REALNODE_LOCK, 'true']);
    assert.is(free.status, 0, `${REALNODE_LOCK} still held`);
    const leftovers = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).filter((p) => {
      try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir); } catch { return false; }
    });
    assert.equal(leftovers, [], `processes still running with ${dir} in their command line`);
    const alive = containers.filter((pid) => existsSync(`/proc/${pid}`));
    assert.equal(alive, [], 'container processes still running');
  });

  test.run();
}
