// The chart's life on a REAL node (test/cluster/realnode.mjs), Helm 4 then
// Helm 3 on the same node: install --wait (Helm 4: the kstatus watcher and
// --wait=legacy), the signer hook as the real Job pod, the registry serving
// the signed certificate, node trust writing into the test containerd's
// config_path, skopeo pushing to <ClusterIP>:<port> trusting only the CA, the
// kubelet pulling <ClusterIP>:<port>/x:v1 (imagePullPolicy Always), helm test,
// upgrade (replicas, port), rollback, uninstall, re-install. Then the bug the
// real node exposed: a registry that never becomes ready must fail Helm 4's
// default --wait (the signer waits for registry.replicas ready pods).
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realNodeTestsEnabled, startCluster } from './harness.mjs';
import { buildChartWithCli, sansOf } from './lifecycle.mjs';
import {
  HELM_BINS, chartWithMountHooks, helmRun, ociLayoutFromTar, realNodeValues, servedCertificate, skopeoPush,
  writeMountHooks,
} from './realnode-chart.mjs';

const FILE = 'test/cluster/realnode-lifecycle.test.mjs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const b64d = (s) => Buffer.from(s ?? '', 'base64').toString('utf8');

if (realNodeTestsEnabled(test, FILE)) {
  const s = { timings: [] };
  let startError;
  const t0 = Date.now();

  test.before(async () => {
    try {
      s.work = mkdtempSync(join(tmpdir(), 'creg-realnode-lc-'));
      s.built = buildChartWithCli(join(s.work, 'out'));
      s.cluster = await startCluster({ realNode: { labels: { node: 'registry' } }, label: FILE });
      s.node = s.cluster.node;
      s.hooks = writeMountHooks(s.node);
      s.tgz = chartWithMountHooks(s.built.chartDir, s.hooks.env, s.work);
    } catch (e) {
      startError = e;
      console.error(`[${FILE}] could not start: ${e.stack || e}`);
    }
    if (s.cluster) {
      console.log(`\nreal node ${s.node.name} Ready ${secs(s.node.readyMs)} after the API server; cluster start ${secs(s.cluster.startupMs)}`);
    }
  });
  test.before.each(() => {
    if (startError) throw new Error(`the real node or the chart build failed before the tests: ${startError.message.split('\n')[0]} (details above)`);
  });
  test.after(async () => {
    try {
      if (s.cluster) await s.cluster.stop();
    } finally {
      if (s.work) rmSync(s.work, { recursive: true, force: true });
      console.log(`[${FILE}] timings: ${s.timings.map(([k, ms]) => `${k} ${secs(ms)}`).join('; ')}`);
      console.log(`[${FILE}] wall time, node start and teardown included: ${secs(Date.now() - t0)}`);
    }
  });

  const helm = (key, args, o = {}) => {
    const r = helmRun(HELM_BINS[key], args, { work: s.work, kubeconfig: s.cluster.kubeconfig, ...o });
    s.timings.push([`${key} ${args.slice(0, 1).join(' ')}`, r.ms]);
    return r;
  };
  const helmOk = (key, args, o) => {
    const r = helm(key, args, o);
    if (r.status !== 0) {
      const pods = s.cluster.kubectl(['get', 'pods', '-A', '-o', 'wide']);
      throw new Error(`${key} ${args.join(' ')} exited ${r.status} after ${secs(r.ms)}:\n${r.stderr}${r.stdout}\npods:\n${pods.stdout}`);
    }
    return r;
  };
  const get = async (path) => {
    const r = await s.cluster.request('GET', path);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body}`);
    return r.json;
  };
  const waitFor = async (what, fn, ms = 120000) => {
    const until = Date.now() + ms;
    let last;
    for (;;) {
      try { last = await fn(); } catch (e) { last = undefined; if (Date.now() > until) throw e; }
      if (last) return last;
      if (Date.now() > until) throw new Error(`timed out after ${secs(ms)} waiting for ${what}`);
      await sleep(500);
    }
  };
  const podsOf = async (ns, sel) => (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(sel)}`)).items
    .filter((p) => !p.metadata.deletionTimestamp);
  const isReady = (p) => (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
  const readyPods = (ns, sel, n, extra = () => true) => waitFor(`${n} ready pods ${sel} in ${ns}`, async () => {
    const pods = await podsOf(ns, sel);
    return pods.length === n && pods.every((p) => isReady(p) && extra(p)) ? pods : null;
  });
  const valuesFile = (name, obj) => {
    const f = join(s.work, `${name}.json`);
    writeFileSync(f, JSON.stringify(obj));
    return f;
  };
  const kubectl = (args, input) => {
    const r = s.cluster.kubectl(args, { input, timeoutMs: 120000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** Waits until the registry at ip:port serves exactly tls.crt of the Secret; returns its DER. */
  const servesSigned = (ns, full, ip, port) => waitFor(`registry ${ip}:${port} serving the signed certificate`, async () => {
    const tls = await get(`/api/v1/namespaces/${ns}/secrets/${full}-tls`);
    const ca = await get(`/api/v1/namespaces/${ns}/secrets/${full}-ca`);
    if (!tls || !ca) return null;
    const der = await servedCertificate(ip, port, b64d(ca.data['ca.crt'])).catch(() => null);
    const want = new X509Certificate(b64d(tls.data['tls.crt'])).raw;
    return der && Buffer.compare(der, want) === 0 ? der : null;
  }, 90000);
  /** Pushes the busybox layout as x:<tag>, runs a Pod from <ip>:<port>/x:<tag> (Always), waits for Succeeded. */
  const pushAndPull = async (ns, full, ip, port, tag, podName) => {
    const caPem = b64d((await get(`/api/v1/namespaces/${ns}/secrets/${full}-ca`)).data['ca.crt']);
    const push = skopeoPush({ from: `oci:${s.busyboxLayout}:test`, ip, port, ref: `x:${tag}`, caPem, work: s.work });
    assert.is(push.status, 0, `skopeo push to ${ip}:${port} failed:\n${push.stderr}`);
    s.timings.push([`skopeo push ${tag}`, push.ms]);
    kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'x', image: `${ip}:${port}/x:${tag}`, imagePullPolicy: 'Always', command: ['sh', '-c', 'echo pulled-and-ran'] }],
      },
    }));
    const pod = await waitFor(`pod ${podName} from ${ip}:${port}/x:${tag}`, async () => {
      const p = await get(`/api/v1/namespaces/${ns}/pods/${podName}`);
      const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting && /ErrImagePull|ImagePullBackOff|InvalidImageName/.test(waiting.reason)) {
        const ev = kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${podName}`]);
        throw new Error(`kubelet could not pull ${ip}:${port}/x:${tag}: ${waiting.reason} ${waiting.message}\n${ev}`);
      }
      return ['Succeeded', 'Failed'].includes(p?.status?.phase) ? p : null;
    });
    assert.is(pod.status.phase, 'Succeeded', JSON.stringify(pod.status));
    assert.match(kubectl(['logs', '-n', ns, podName]), /pulled-and-ran/);
    return pod;
  };

  for (const helmKey of ['helm4', 'helm3']) {
    const H = helmKey === 'helm4' ? 'Helm 4' : 'Helm 3';
    const wait = helmKey === 'helm4' ? ['--wait=watcher'] : ['--wait'];
    const waitLegacy = helmKey === 'helm4' ? ['--wait=legacy'] : ['--wait'];
    const ns = `creg-${helmKey}`;
    const rel = 'reg';
    const full = 'reg-creg';
    const sel = `app.kubernetes.io/instance=${rel},app.kubernetes.io/component=registry`;
    const st = {};

    test(`${H}: helm install ${wait.join(' ')} on the real node; the signer hook ran as a real Job pod; the registry serves the signed certificate`, async () => {
      st.mountPath = join(s.node.hostPathDir, helmKey, 'nas');
      st.values = valuesFile(`${helmKey}-values`, realNodeValues(s.node, { mountPath: st.mountPath }));
      st.t0 = Date.now();
      const r = helmOk(helmKey, ['install', rel, s.tgz, '-n', ns, '--create-namespace', '-f', st.values, ...wait, '--timeout', '5m']);
      console.log(`[${H}] helm install ${wait.join(' ')}: ${secs(r.ms)}`);
      // The CA and TLS Secrets exist only because the hook Job's pod ran the signer.
      const tls = await get(`/api/v1/namespaces/${ns}/secrets/${full}-tls`);
      assert.ok(tls, 'TLS Secret written by the hook pod');
      assert.is(await get(`/apis/batch/v1/namespaces/${ns}/jobs/${full}-signer`), null, 'hook Job deleted after success');
      const svc = await get(`/api/v1/namespaces/${ns}/services/registry-svc`);
      st.ip = svc.spec.clusterIP;
      assert.equal(sansOf(b64d(tls.data['tls.crt'])).ips, [st.ip]);
      const pods = await readyPods(ns, sel, 1);
      assert.is(pods[0].spec.nodeName, s.node.name);
      await servesSigned(ns, full, st.ip, 5000);
      // The mount DaemonSet ran its script (through the hooks) and made <mountPath>/registry on the host.
      const log = readFileSync(s.hooks.mountLog, 'utf8');
      assert.match(log, new RegExp(`^mount -t nfs -o nfsvers=4\\.1,hard,timeo=600,retrans=2,nosuid,nodev,noexec 172\\.27\\.128\\.2:/nas ${st.mountPath}$`, 'm'));
    });

    test(`${H}: node trust writes ca.crt and hosts.toml into the test containerd's config_path`, async () => {
      const dir = join(s.node.certsDir, `${st.ip}:5000`);
      const caPem = b64d((await get(`/api/v1/namespaces/${ns}/secrets/${full}-ca`)).data['ca.crt']);
      // The node trust pod started before the signer published the CA ConfigMap:
      // the kubelet projects it into the running pod on its sync period (1 min
      // by default, plus jitter and its cache TTL), then the script's next check.
      // The script writes ca.crt, then hosts.toml (each atomically): wait for both,
      // or a poll that lands between the two renames reads no hosts.toml yet.
      await waitFor(`${dir}/ca.crt and ${dir}/hosts.toml`, () => {
        try {
          return readFileSync(join(dir, 'ca.crt'), 'utf8') === caPem && existsSync(join(dir, 'hosts.toml'));
        } catch { return false; }
      }, 180000);
      assert.match(readFileSync(join(dir, 'hosts.toml'), 'utf8'), new RegExp(`https://${st.ip.replace(/\./g, '\\.')}:5000`));
    });

    test(`${H}: skopeo pushes to the ClusterIP trusting only the CA; the kubelet pulls <ClusterIP>:5000/x:v1 (Always) and runs it`, async () => {
      if (!s.busyboxLayout) {
        const tar = s.node.imageFiles.find((i) => i.name === s.node.images.busybox).file;
        s.busyboxLayout = ociLayoutFromTar(tar, join(s.work, 'busybox-layout'));
      }
      await pushAndPull(ns, full, st.ip, 5000, 'v1', 'pull-v1');
      const ms = Date.now() - st.t0;
      const mem = s.node.memoryMiB();
      console.log(`[${H}] helm install -> first kubelet pull through the ClusterIP: ${secs(ms)}; node memory (VmRSS MiB): ${JSON.stringify(mem)}`);
      s.timings.push([`${helmKey} install to first pull`, ms]);
    });

    test(`${H}: helm test passes (TLS to the ClusterIP from a real pod)`, () => {
      const r = helmOk(helmKey, ['test', rel, '-n', ns, '--timeout', '3m']);
      assert.match(r.stdout, /Succeeded/);
    });

    test(`${H}: helm upgrade ${waitLegacy.join(' ')} to 2 replicas on port 5443: both pods serve the signed certificate there; node trust follows the port`, async () => {
      const r = helmOk(helmKey, ['upgrade', rel, s.tgz, '-n', ns, '-f', st.values, '--set', 'registry.replicas=2', '--set', 'registry.port=5443', ...waitLegacy, '--timeout', '5m']);
      console.log(`[${H}] helm upgrade: ${secs(r.ms)}`);
      const rc = await get(`/api/v1/namespaces/${ns}/replicationcontrollers/${full}`);
      const hash = rc.spec.template.metadata.annotations['creg-chart/values-hash'];
      await readyPods(ns, sel, 2, (p) => p.metadata.annotations['creg-chart/values-hash'] === hash);
      assert.is((await get(`/api/v1/namespaces/${ns}/services/registry-svc`)).spec.clusterIP, st.ip);
      await servesSigned(ns, full, st.ip, 5443);
      await waitFor('node trust for :5443', () => {
        try { return readFileSync(join(s.node.certsDir, `${st.ip}:5443`, 'ca.crt'), 'utf8').length > 0; } catch { return false; }
      }, 60000);
      await pushAndPull(ns, full, st.ip, 5443, 'v2', 'pull-v2');
    });

    test(`${H}: helm rollback to revision 1: one pod on port 5000 again, serving the same signed certificate`, async () => {
      helmOk(helmKey, ['rollback', rel, '1', '-n', ns, ...wait, '--timeout', '5m']);
      const rc = await get(`/api/v1/namespaces/${ns}/replicationcontrollers/${full}`);
      const hash = rc.spec.template.metadata.annotations['creg-chart/values-hash'];
      const pods = await readyPods(ns, sel, 1, (p) => p.metadata.annotations['creg-chart/values-hash'] === hash);
      assert.is(pods[0].spec.containers.find((c) => c.name === 'registry').ports[0].containerPort, 5000);
      await servesSigned(ns, full, st.ip, 5000);
      // the image pushed before the upgrade is still there (same NAS directory)
      kubectl(['delete', 'pod', '-n', ns, 'pull-v1', '--wait=true']);
      await pushAndPull(ns, full, st.ip, 5000, 'v1', 'pull-v1');
    });

    test(`${H}: helm uninstall, then re-install: the kept CA is reused and the kubelet pulls again`, async () => {
      const caBefore = (await get(`/api/v1/namespaces/${ns}/secrets/${full}-ca`)).data['ca.crt'];
      helmOk(helmKey, ['uninstall', rel, '-n', ns, '--wait', '--timeout', '3m']);
      await waitFor('release pods gone', async () => (await podsOf(ns, `app.kubernetes.io/instance=${rel}`)).length === 0);
      helmOk(helmKey, ['install', rel, s.tgz, '-n', ns, '-f', st.values, ...waitLegacy, '--timeout', '5m']);
      assert.is((await get(`/api/v1/namespaces/${ns}/secrets/${full}-ca`)).data['ca.crt'], caBefore, 'same CA');
      const ip = (await get(`/api/v1/namespaces/${ns}/services/registry-svc`)).spec.clusterIP;
      await readyPods(ns, sel, 1);
      await servesSigned(ns, full, ip, 5000);
      kubectl(['delete', 'pod', '-n', ns, 'pull-v1', '--wait=true']);
      await pushAndPull(ns, full, ip, 5000, 'v3', 'pull-v3');
      helmOk(helmKey, ['uninstall', rel, '-n', ns, '--wait', '--timeout', '3m']);
      kubectl(['delete', 'namespace', ns, '--wait=false']);
    });
  }

  // ---- what the real node exposed (issue 8, F1/F2) ----

  test('Helm 4 default --wait: a registry that never becomes ready (requireNfsMount on a non-NFS directory) fails the install, naming the pod and why', async () => {
    const ns = 'creg-f1';
    const values = realNodeValues(s.node, { mountPath: join(s.node.hostPathDir, 'f1', 'nas') });
    values.nas.requireNfsMount = true;
    values.signer.activeDeadlineSeconds = 60;
    try {
      const r = helm('helm4', ['install', 'f1', s.tgz, '-n', ns, '--create-namespace', '-f', valuesFile('f1', values), '--wait=watcher', '--timeout', '4m']);
      console.log(`[F1] helm install --wait=watcher with a never-ready registry: exit ${r.status} after ${secs(r.ms)}: ${r.stderr.trim().split('\n').pop()}`);
      assert.is.not(r.status, 0, `helm install reported success for a registry that is not ready:\n${r.stdout}`);
      // The signer's own message: in the failed hook pod's termination message (its log's tail).
      const pods = (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/component=signer')}`)).items;
      const msgs = pods.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated?.message || '').join('\n');
      console.log(`[F1] ${msgs.split('\n').find((l) => /error:/.test(l))}`);
      assert.match(msgs, /only 0 of 1 registry pods became ready/, msgs);
      assert.match(msgs, /pod f1-creg-\S+ on node creg-node-1, phase Pending: init container nas-guard/, msgs);
    } finally {
      helm('helm4', ['uninstall', 'f1', '-n', ns, '--wait', '--timeout', '2m']);
      s.cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  });

  test('Helm 4 default --wait: an upgrade to 2 replicas where only one can run fails, naming the pod that cannot start', async () => {
    const ns = 'creg-f2';
    const node = await get(`/api/v1/nodes/${s.node.name}`);
    const allocKi = Number(/^(\d+)Ki$/.exec(node.status.allocatable.memory)?.[1]);
    assert.ok(allocKi > 0, node.status.allocatable.memory);
    // 60% of the node's memory per pod: one registry pod fits, two do not.
    const mem = `${Math.floor((allocKi * 0.6) / 1024)}Mi`;
    const values = realNodeValues(s.node, { mountPath: join(s.node.hostPathDir, 'f2', 'nas') });
    values.registry.resources = { requests: { cpu: '10m', memory: mem }, limits: { memory: mem } };
    values.signer.activeDeadlineSeconds = 60;
    const vf = valuesFile('f2', values);
    helmOk('helm4', ['install', 'f2', s.tgz, '-n', ns, '--create-namespace', '-f', vf, '--wait=watcher', '--timeout', '4m']);
    try {
      const r = helm('helm4', ['upgrade', 'f2', s.tgz, '-n', ns, '-f', vf, '--set', 'registry.replicas=2', '--wait=watcher', '--timeout', '4m']);
      console.log(`[F2] helm upgrade --wait=watcher to 2 replicas (one cannot be scheduled): exit ${r.status} after ${secs(r.ms)}: ${r.stderr.trim().split('\n').pop()}`);
      assert.is.not(r.status, 0, `helm upgrade reported success with 1 of 2 registry pods:\n${r.stdout}`);
      const pods = (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/component=signer')}`)).items;
      const msgs = pods.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated?.message || '').join('\n');
      console.log(`[F2] ${msgs.split('\n').find((l) => /error:/.test(l))}`);
      assert.match(msgs, /only 1 of 2 registry pods became ready/, msgs);
      assert.match(msgs, /pod f2-creg-\S+ \(not scheduled\), phase Pending: PodScheduled: Unschedulable .*Insufficient memory/, msgs);
    } finally {
      helm('helm4', ['uninstall', 'f2', '-n', ns, '--wait', '--timeout', '2m']);
    }
  });

  test.run();
}
