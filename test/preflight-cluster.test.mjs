// The install preflight against a real API server (test/cluster/harness.mjs:
// kube-apiserver, controller-manager, scheduler, etcd, kwok nodes
// node-reg-1/2 labelled node=registry and node-plain-1): Helm's `lookup` of
// the NodeList, with Helm 4 and Helm 3. Skipped like the smoke test when the
// control plane binaries are not built (and failing under CI).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, tempDir } from './helpers/chart.mjs';
import { BUILD_COMMAND, binDir, missingBinaries, requireBinaries, startCluster } from './cluster/harness.mjs';

const missing = missingBinaries();
if (missing.length > 0) {
  const msg = `control plane binaries not found in ${binDir()} (missing: ${missing.join(', ')}); build them with: ${BUILD_COMMAND}`;
  if (process.env.CI) test('control plane binaries are present', () => requireBinaries());
  else {
    console.warn(`\nSKIP test/preflight-cluster.test.mjs: ${msg}\n`);
    test.skip(`preflight against a real API server (skipped: ${msg})`, () => {});
  }
  test.run();
} else {
  const work = tempDir('creg-preflight-cluster-');
  let cluster;
  let chart;
  test.before(async () => {
    chart = (await buildChart({ outputDir: join(work, 'out') })).tgzPath;
    cluster = await startCluster();
  });
  test.after(async () => {
    if (cluster) await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const helm = (h, args) => {
    const r = spawnSync(h.bin, [...args, '--kubeconfig', cluster.kubeconfig], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, HELM_CONFIG_HOME: join(work, 'helm', 'config'), HELM_CACHE_HOME: join(work, 'helm', 'cache'), HELM_DATA_HOME: join(work, 'helm', 'data') },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  for (const h of HELMS) {
    test(`[${h.label}] install --dry-run=server passes: two nodes carry node=registry`, () => {
      const r = helm(h, ['install', `ok-${h.label}`, chart, '-n', 'default', '--dry-run=server']);
      assert.is(r.code, 0, r.err);
    });

    test(`[${h.label}] install fails before creating anything when no node has the label, with the kubectl command`, () => {
      const release = `nolabel-${h.label}`;
      const r = helm(h, ['install', release, chart, '-n', 'default', '--set', 'nodeLabel.value=registry-seoul']);
      assert.is.not(r.code, 0, r.out);
      assert.match(r.err, /preflight: no node carries the registry node label node=registry-seoul/);
      assert.match(r.err, /kubectl label nodes NODE node=registry-seoul/);
      assert.match(r.err, /Nodes in this cluster \(3\): node-plain-1, node-reg-1, node-reg-2/);
      const list = helm(h, ['list', '-n', 'default', '-a', '-q']);
      assert.not.match(list.out, new RegExp(release), 'no release recorded');
      const objs = cluster.kubectl(['get', 'all,secrets,configmaps', '-n', 'default', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']);
      assert.is(objs.stdout.trim(), '', 'nothing created');
    });

    test(`[${h.label}] preflight.enabled=false skips the check`, () => {
      const r = helm(h, ['install', `skip-${h.label}`, chart, '-n', 'default', '--dry-run=server', '--set', 'nodeLabel.value=registry-seoul,preflight.enabled=false']);
      assert.is(r.code, 0, r.err);
    });
  }

  test('a user who may not list nodes gets the API server\'s "forbidden" (documented: needs list nodes, or preflight.enabled=false)', () => {
    const k = (args) => {
      const r = cluster.kubectl(args);
      assert.is(r.status, 0, r.stderr);
      return r.stdout;
    };
    k(['create', 'namespace', 'limited']);
    k(['create', 'serviceaccount', 'installer', '-n', 'limited']);
    k(['create', 'rolebinding', 'installer-admin', '--clusterrole=admin', '--serviceaccount=limited:installer', '-n', 'limited']);
    const token = k(['create', 'token', 'installer', '-n', 'limited', '--duration=10m']).trim();
    const h = HELMS[0];
    const as = ['--kube-token', token, '--kube-apiserver', cluster.apiUrl, '--kube-ca-file', cluster.caFile];
    const run = (extra) => {
      const r = spawnSync(h.bin, ['install', 'limited', chart, '-n', 'limited', '--dry-run=server', ...as, ...extra], {
        encoding: 'utf8', timeout: 120_000, env: { ...process.env, KUBECONFIG: '/dev/null', HELM_CONFIG_HOME: join(work, 'helm', 'config'), HELM_CACHE_HOME: join(work, 'helm', 'cache'), HELM_DATA_HOME: join(work, 'helm', 'data') },
      });
      return { code: r.status, err: r.stderr };
    };
    const denied = run([]);
    assert.is.not(denied.code, 0);
    assert.match(denied.err, /nodes is forbidden: User "system:serviceaccount:limited:installer" cannot list resource "nodes"/);
    const skipped = run(['--set', 'preflight.enabled=false']);
    assert.is(skipped.code, 0, skipped.err);
  });

  test.run();
}
