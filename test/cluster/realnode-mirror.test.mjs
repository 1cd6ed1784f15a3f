// Mirror mode on a real node (the real-kubelet harness of issue 8: kubelet,
// containerd with config_path = the node's certs.d, kube-proxy, CNI bridge):
//   - an "upstream" Distribution 3.1.2 on this machine's own address
//     (192.0.2.2, plain HTTP: pods cannot reach 127.0.0.1 on the host) holds
//     library/x:v1 (the harness's busybox image, pushed with skopeo);
//   - the chart, built in mirror mode for that upstream (name 192.0.2.2:<port>),
//     is installed with `helm install --wait`; its node trust DaemonSet writes
//     <certs.d>/192.0.2.2:<port>/hosts.toml on the node;
//   - a Pod whose image is 192.0.2.2:<port>/library/x:v1 runs: the kubelet's
//     pull goes through the in-cluster mirror release (the mirror pod's access log
//     shows containerd's requests; the upstream's shows only the mirror's).
// Skipped with a message when the real-node harness is not on this branch or
// the machine lacks its prerequisites (see test/cluster/README.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChart, tempDir } from '../helpers/chart.mjs';
import { REGISTRY3_BUILD, findRegistry3, startRegistry3 } from '../helpers/registry3.mjs';
import { freePort } from '../helpers/registry.mjs';
import * as harness from './harness.mjs';

const LABEL = 'test/cluster/realnode-mirror.test.mjs';
const HOST_IP = '192.0.2.2';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (typeof harness.realNodeTestsEnabled !== 'function') {
  console.warn(`\nSKIP ${LABEL}: the real-node harness (issue 8: startCluster({ realNode })) is not on this branch\n`);
  test.skip(`${LABEL} (skipped: no real-node harness on this branch)`, () => {});
  test.run();
} else if (harness.realNodeTestsEnabled(test, LABEL)) {
  const { realNodeValues, writeMountHooks, chartWithMountHooks, helmRun, HELM_BINS } = await import('./realnode-chart.mjs');
  const work = tempDir('creg-realnode-mirror-');
  let cluster;
  let upstream;
  let startError;

  test.before(async () => {
    try {
      if (!findRegistry3()) throw new Error(`Distribution 3.1.2 not built (${REGISTRY3_BUILD})`);
      cluster = await harness.startCluster({ realNode: { labels: { node: 'registry' } }, label: LABEL });
    } catch (e) {
      startError = e;
      console.error(`real node did not start: ${e.stack || e}`);
    }
  });
  test.before.each(() => {
    if (startError) throw new Error(`the real node did not start: ${startError.message.split('\n')[0]}`);
  });
  test.after(async () => {
    await upstream?.stop();
    if (cluster) await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const kubectl = (args, input) => {
    const r = cluster.kubectl(args, { input, timeoutMs: 120000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  test('a Pod whose image is <upstream>/library/x:v1 is pulled by the kubelet through the in-cluster mirror release', async () => {
    const node = cluster.node;
    const port = await freePort();
    const upstreamName = `${HOST_IP}:${port}`;
    upstream = await startRegistry3({
      dir: join(work, 'upstream'),
      host: HOST_IP,
      port,
      env: { REGISTRY_HTTP_ADDR: upstreamName, REGISTRY_HTTP_SECRET: 'upstream-test-secret' },
    });
    const busybox = node.imageFiles.find((i) => /busybox/.test(i.name));
    const push = spawnSync('skopeo', ['--command-timeout', '60s', 'copy', '--dest-tls-verify=false', `oci-archive:${busybox.file}:${busybox.name.split(':').pop()}`, `docker://${upstreamName}/library/x:v1`], { encoding: 'utf8', timeout: 90_000 });
    assert.is(push.status, 0, push.stderr);

    const { chartDir } = await buildChart({
      outputDir: join(work, 'chart'),
      set: ['mirror.enabled=true', `mirror.upstream=http://${upstreamName}`, `mirror.hosts[0]=${upstreamName}`],
    });
    const values = realNodeValues(node, { mountPath: join(node.hostPathDir, 'mirror') });
    const valuesFile = join(work, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const hooks = writeMountHooks(node);
    const tgz = chartWithMountHooks(chartDir, hooks.env, work);
    const t0 = Date.now();
    const inst = helmRun(HELM_BINS.helm4, ['install', 'hub', tgz, '-n', 'mirrors', '--create-namespace', '-f', valuesFile, '--wait', '--timeout', '5m'], { work, kubeconfig: cluster.kubeconfig });
    assert.is(inst.status, 0, `${inst.stdout}${inst.stderr}`);
    console.log(`  helm install --wait (mirror mode) ${Date.now() - t0} ms`);

    // The node trust DaemonSet writes the mirror's hosts.toml once the signer published the CA.
    const hostsToml = join(node.certsDir, upstreamName, 'hosts.toml');
    // Up to 180 s: the kubelet refreshes the CA ConfigMap and pin Secret volumes of the already running
    // node trust pod on its sync period (1 min plus jitter), as realnode-lifecycle found.
    for (let i = 0; i < 360 && !existsSync(hostsToml); i++) await sleep(500);
    assert.ok(existsSync(hostsToml), `${hostsToml} written by the node trust DaemonSet`);
    const ip = JSON.parse(kubectl(['-n', 'mirrors', 'get', 'service', 'registry-svc', '-o', 'json'])).spec.clusterIP;
    const text = readFileSync(hostsToml, 'utf8');
    assert.match(text, new RegExp(`server = "http://${upstreamName.replace(/\./g, '\\.')}"`));
    assert.match(text, new RegExp(`\\[host\\."https://${ip.replace(/\./g, '\\.')}:5000"\\]`));

    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'via-mirror', namespace: 'default' },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'x', image: `${upstreamName}/library/x:v1`, imagePullPolicy: 'Always', command: ['sh', '-c', 'echo pulled through the mirror'] }],
      },
    }));
    let pod;
    const t1 = Date.now();
    for (let i = 0; i < 180; i++) {
      pod = (await cluster.request('GET', '/api/v1/namespaces/default/pods/via-mirror')).json;
      if (['Succeeded', 'Failed'].includes(pod?.status?.phase)) break;
      await sleep(500);
    }
    assert.is(pod?.status?.phase, 'Succeeded', JSON.stringify(pod?.status, null, 1));
    console.log(`  pod through the mirror: ${Date.now() - t1} ms`);
    assert.match(kubectl(['logs', 'via-mirror']), /pulled through the mirror/);
    const mirrorLog = kubectl(['-n', 'mirrors', 'logs', '-l', 'app.kubernetes.io/component=registry', '--tail', '-1']);
    assert.match(mirrorLog, /"(GET|HEAD) \/v2\/library\/x\/manifests\/[^"]*" 200 [^\n]*containerd\//, mirrorLog);
    await sleep(300);
    const direct = upstream.log().split('\n').filter((l) => /\/v2\/library\/x\//.test(l) && /containerd\//.test(l));
    assert.equal(direct, [], 'the kubelet\'s containerd never went to the upstream itself');
  });

  test.run();
}
