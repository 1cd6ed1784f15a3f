// KEP-1755 discovery and `creg-chart trust --release --mirrors` against a real
// API server (test/cluster/harness.mjs):
//   - the chart built with discovery.enabled and mirror mode is applied (its non-hook objects,
//     rendered by the real helm), including the Role and RoleBinding in kube-public;
//   - the bundled signer runs `in-cluster` with the token of the chart's own
//     signer ServiceAccount, so only the chart's RBAC lets it act;
//   - it creates kube-public/local-registry-hosting once the ClusterIP is known; a
//     second run changes nothing (same resourceVersion); after the Service is
//     re-created with another ClusterIP, the next run follows it;
//   - the signer's rights in kube-public reach that one ConfigMap only (and create,
//     which Kubernetes cannot limit by name): checked with `kubectl auth can-i`
//     as the signer and by a real write to another ConfigMap being refused;
//   - `creg-chart trust --release --mirrors` reads the mirror hosts and upstream
//     from the Service and writes the same containerd and podman files as the
//     node trust script fed the published ConfigMap; a foreign hosts.toml stops it
//     before anything is written; --remove deletes exactly its files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify as stringifyYaml } from 'yaml';
import { HELMS, ROOT, buildChart, helmTemplate, tempDir, trustScriptOf } from '../helpers/chart.mjs';
import { listTree, trustShells } from '../helpers/trust.mjs';
import { clusterTestsEnabled, kubectlPath, startCluster } from './harness.mjs';

const RELEASE = 'eyoh';
const NS = 'registry';
const FULL = 'eyoh-creg';
const SIGNER = join(ROOT, 'dist', 'signer', 'signer.js');

const CLI = join(ROOT, 'bin', 'creg-chart.js');

if (clusterTestsEnabled(test, 'test/cluster/mirror-discovery.test.mjs')) {
  const work = tempDir('creg-discovery-');
  let cluster;
  let signerEnv;
  let objs;
  let signerKubeconfig;

  test.before(async () => {
    cluster = await startCluster();
    console.log(`  cluster up in ${(cluster.startupMs / 1000).toFixed(1)} s`);
  });

  test.after(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const kubectl = (args, input) => {
    const r = cluster.kubectl(args, { input });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const runSigner = () => {
    const r = spawnSync(process.execPath, [SIGNER, 'in-cluster'], { encoding: 'utf8', timeout: 300_000, env: signerEnv });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const discovery = () => JSON.parse(kubectl(['-n', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '-o', 'json']));
  const clusterIp = () => JSON.parse(kubectl(['-n', NS, 'get', 'service', 'registry-svc', '-o', 'json'])).spec.clusterIP;

  test('the chart with discovery.enabled: the signer, with only its own ServiceAccount\'s rights, creates kube-public/local-registry-hosting once', async () => {
    const { chartDir } = await buildChart({ outputDir: join(work, 'chart'), set: [
      'discovery.enabled=true', 'discovery.help=https://example.test/registry',
      'mirror.enabled=true', 'mirror.upstream=https://registry-1.docker.io', 'mirror.hosts[0]=docker.io', 'mirror.hosts[1]=quay.io',
    ] });
    objs = helmTemplate(HELMS[0].bin, chartDir, ['--set', 'registry.replicas=1'], RELEASE, NS);
    const plain = objs.filter((o) => !o.metadata?.annotations?.['helm.sh/hook']);
    assert.ok(plain.some((o) => o.kind === 'Role' && o.metadata.namespace === 'kube-public'));
    kubectl(['create', 'namespace', NS]);
    kubectl(['create', '-f', '-'], plain.map((o) => `---\n${stringifyYaml(o)}`).join('\n'));
    const token = kubectl(['-n', NS, 'create', 'token', `${FULL}-signer`]).trim();
    const tokenFile = join(work, 'signer-token');
    writeFileSync(tokenFile, token);
    signerKubeconfig = join(work, 'signer.kubeconfig');
    writeFileSync(signerKubeconfig, readFileSync(cluster.tokenKubeconfig, 'utf8').replace(cluster.adminToken, token));
    const job = objs.find((o) => o.kind === 'Job');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.is(env.DISCOVERY, 'true');
    signerEnv = {
      PATH: process.env.PATH, ...env, POD_NAMESPACE: NS, READY_TIMEOUT_SECONDS: '120',
      KUBE_API_URL: cluster.apiUrl, KUBE_TOKEN_FILE: tokenFile, KUBE_CA_FILE: cluster.caFile,
    };
    const r = runSigner();
    assert.is(r.status, 0, r.out);
    assert.match(r.out, /creating ConfigMap kube-public\/local-registry-hosting \(KEP-1755\): kube-public\/local-registry-hosting does not exist yet/);
    const ip = clusterIp();
    const cm = discovery();
    assert.equal(Object.keys(cm.data), ['localRegistryHosting.v1']);
    assert.equal(parse(cm.data['localRegistryHosting.v1']), {
      host: `${ip}:5000`,
      hostFromContainerRuntime: `${ip}:5000`,
      hostFromClusterNetwork: 'registry-svc.registry.svc:5000',
      help: 'https://example.test/registry',
    });
    assert.is(cm.metadata.annotations['creg-chart/owner'], `${NS}/${FULL}`);
    const rv = cm.metadata.resourceVersion;
    const again = runSigner();
    assert.is(again.status, 0, again.out);
    assert.match(again.out, /keeping ConfigMap kube-public\/local-registry-hosting \(KEP-1755\): kube-public\/local-registry-hosting already points at this registry/);
    assert.is(discovery().metadata.resourceVersion, rv, 'created once: the second run wrote nothing');
  });

  test('a re-created Service with another ClusterIP: the next signer run follows it', () => {
    const before = clusterIp();
    const svc = objs.find((o) => o.kind === 'Service');
    const moved = before === '10.96.200.20' ? '10.96.200.21' : '10.96.200.20';
    kubectl(['-n', NS, 'delete', 'service', 'registry-svc']);
    kubectl(['-n', NS, 'create', '-f', '-'], stringifyYaml({ ...svc, spec: { ...svc.spec, clusterIP: moved } }));
    assert.is(clusterIp(), moved);
    const r = runSigner();
    assert.is(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`updating ConfigMap kube-public/local-registry-hosting \\(KEP-1755\\): kube-public/local-registry-hosting points at "host: \\\\"${before.replace(/\./g, '\\.')}:5000\\\\"`));
    assert.is(parse(discovery().data['localRegistryHosting.v1']).hostFromContainerRuntime, `${moved}:5000`);
    // The CA ConfigMap the node trust DaemonSet reads follows too.
    assert.is(JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json'])).data['cluster-ip'], moved);
  });

  test('the signer\'s rights in kube-public: that one ConfigMap (and create); nothing else', () => {
    const can = (...args) => {
      const r = spawnSync(kubectlPath(), ['--kubeconfig', signerKubeconfig, 'auth', 'can-i', ...args], { encoding: 'utf8' });
      return r.stdout.trim();
    };
    assert.is(can('get', 'configmap/local-registry-hosting', '-n', 'kube-public'), 'yes');
    assert.is(can('update', 'configmap/local-registry-hosting', '-n', 'kube-public'), 'yes');
    assert.is(can('create', 'configmaps', '-n', 'kube-public'), 'yes');
    assert.is(can('get', 'configmap/cluster-info', '-n', 'kube-public'), 'no');
    assert.is(can('update', 'configmap/cluster-info', '-n', 'kube-public'), 'no');
    assert.is(can('delete', 'configmap/local-registry-hosting', '-n', 'kube-public'), 'no');
    assert.is(can('list', 'configmaps', '-n', 'kube-public'), 'no');
    assert.is(can('get', 'secrets', '-n', 'kube-public'), 'no');
    assert.is(can('create', 'configmaps', '-n', 'default'), 'no');
    // A real write elsewhere in kube-public is refused by the API server.
    kubectl(['-n', 'kube-public', 'create', 'configmap', 'someone-elses', '--from-literal=a=b']);
    const r = spawnSync(kubectlPath(), ['--kubeconfig', signerKubeconfig, '-n', 'kube-public', 'patch', 'configmap', 'someone-elses', '--type=merge', '-p', '{"data":{"a":"c"}}'], { encoding: 'utf8' });
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /forbidden/i);
  });

  test('creg-chart trust --release --mirrors writes what the node trust script writes; a foreign hosts.toml stops it; --remove deletes only its files', () => {
    const cli = (args) => {
      const r = spawnSync(process.execPath, [CLI, 'trust', '--release', RELEASE, '-n', NS, '--kubeconfig', cluster.kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECTL: kubectlPath() } });
      return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
    };
    const etc = ['containerd/certs.d', 'containers/certs.d', 'containers/registries.conf.d', 'docker/certs.d'];
    const ws = join(work, 'workstation');
    for (const d of etc) mkdirSync(join(ws, 'etc', d), { recursive: true });
    let r = cli(['--mirrors', '--root', ws]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stdout, /Pulls of docker\.io, quay\.io now try the mirror 10\.96\.\d+\.\d+:5000 first, then https:\/\/registry-1\.docker\.io\. Docker Engine: add "https:\/\/10\.96\.\d+\.\d+:5000" to "registry-mirrors"/);
    // The node trust script, fed the published CA ConfigMap, on a node with the same directories.
    const node = join(work, 'node');
    for (const d of etc) mkdirSync(join(node, 'etc', d), { recursive: true });
    const cm = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json']));
    const vol = join(work, 'ca-volume');
    mkdirSync(vol);
    for (const [k, v] of Object.entries(cm.data)) writeFileSync(join(vol, k), v);
    // The pin Secret the signer wrote, as the kubelet mounts it (the script trusts only the pinned CA and IP).
    const pinVol = join(work, 'pin-volume');
    mkdirSync(pinVol);
    const pin = JSON.parse(kubectl(['-n', NS, 'get', 'secret', `${FULL}-ca-pin`, '-o', 'json']));
    for (const [k, v] of Object.entries(pin.data)) writeFileSync(join(pinVol, k), Buffer.from(v, 'base64'));
    const trust = trustScriptOf(objs);
    const sh = trustShells();
    try {
      const s = sh.shells[sh.shells.length - 1].run(trust.script, trust.argv0, {
        ...trust.env, CA_FILE: join(vol, 'ca.crt'), CLUSTER_IP_FILE: join(vol, 'cluster-ip'), PIN_DIR: pinVol, READY_FILE: '', MAX_ROUNDS: '1',
        CONTAINERD_DIR: join(node, 'etc/containerd/certs.d'), CONTAINERD_HOST_DIR: '/etc/containerd/certs.d',
        DOCKER_DIR: join(node, 'etc/docker/certs.d'), CONTAINERS_DIR: join(node, 'etc/containers/certs.d'),
        CONTAINERS_REGISTRIES_DIR: join(node, 'etc/containers/registries.conf.d'), MIRROR_STATUS_FILE: '',
      });
      assert.is(s.status, 0, s.out);
    } finally { sh.cleanup(); }
    const tree = listTree(ws);
    assert.equal(tree, listTree(node));
    for (const f of tree.filter((x) => !x.endsWith('/'))) assert.is(readFileSync(join(ws, f), 'utf8'), readFileSync(join(node, f), 'utf8'), f);
    assert.ok(tree.includes('etc/containerd/certs.d/docker.io/hosts.toml') && tree.includes(`etc/containers/registries.conf.d/creg-chart_${NS}_${FULL}.conf`), tree.join(' '));
    // --print: a script that, run by sh, writes the same tree.
    const printed = join(work, 'workstation-print');
    for (const d of etc) mkdirSync(join(printed, 'etc', d), { recursive: true });
    const p = cli(['--mirrors', '--print', '--root', printed]);
    assert.is(p.status, 0, p.out);
    assert.match(p.stdout, /# mirror mode: pulls of docker\.io, quay\.io try 10\.96\.\d+\.\d+:5000 first/);
    const ran = spawnSync('sh', ['-c', p.stdout], { encoding: 'utf8' });
    assert.is(ran.status, 0, ran.stderr);
    assert.equal(listTree(printed), tree);
    for (const f of tree.filter((x) => !x.endsWith('/'))) assert.is(readFileSync(join(printed, f), 'utf8'), readFileSync(join(node, f), 'utf8'), `--print: ${f}`);
    // --remove --print: a script that removes them again (mirror files included).
    const rp = cli(['--remove', '--print', '--root', printed]);
    assert.is(rp.status, 0, rp.out);
    const rran = spawnSync('sh', ['-c', rp.stdout], { encoding: 'utf8' });
    assert.is(rran.status, 0, rran.stderr);
    assert.equal(listTree(printed).filter((x) => !x.endsWith('/')), []);
    // A foreign hosts.toml for quay.io: refused before anything is written.
    const fresh = join(work, 'workstation-2');
    for (const d of etc) mkdirSync(join(fresh, 'etc', d), { recursive: true });
    mkdirSync(join(fresh, 'etc/containerd/certs.d/quay.io'));
    writeFileSync(join(fresh, 'etc/containerd/certs.d/quay.io/hosts.toml'), 'server = "https://quay.io"\n');
    r = cli(['--mirrors', '--root', fresh]);
    assert.is(r.status, 1, r.out);
    assert.match(r.out, /quay\.io holds a hosts\.toml or other files that creg-chart did not write \(no \.creg-chart-mirror\); creg-chart does not overwrite them/);
    assert.equal(listTree(fresh).filter((x) => !x.endsWith('/')), ['etc/containerd/certs.d/quay.io/hosts.toml']);
    // --remove: the trust files and the mirror files go; the foreign one stays.
    writeFileSync(join(ws, 'etc/containerd/certs.d/docker.io/notes.txt'), 'mine\n');
    r = cli(['--remove', '--root', ws]);
    assert.is(r.status, 0, r.out);
    assert.match(r.stdout, /removed mirror configuration \S+registries\.conf\.d\/creg-chart_registry_eyoh-creg\.conf/);
    assert.equal(listTree(ws).filter((x) => !x.endsWith('/')), ['etc/containerd/certs.d/docker.io/notes.txt']);
    // A release that is not a mirror: --mirrors says so.
    kubectl(['-n', NS, 'annotate', 'service', 'registry-svc', 'creg-chart/mirror-hosts-']);
    r = cli(['--mirrors', '--root', fresh]);
    assert.is(r.status, 2, r.out);
    assert.match(r.out, /Release eyoh \(Service registry\/registry-svc\) is not a mirror \(its Service has no creg-chart\/mirror-hosts annotation/);
  });

  test('a local-registry-hosting made by another tool is not overwritten: the signer fails with the fix', () => {
    kubectl(['-n', 'kube-public', 'delete', 'configmap', 'local-registry-hosting']);
    kubectl(['-n', 'kube-public', 'create', 'configmap', 'local-registry-hosting', '--from-literal=localRegistryHosting.v1=host: "localhost:5001"']);
    const r = runSigner();
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /ConfigMap kube-public\/local-registry-hosting exists but was not made by the creg-chart signer/);
    assert.is(discovery().data['localRegistryHosting.v1'], 'host: "localhost:5001"');
  });

  test.run();
}
