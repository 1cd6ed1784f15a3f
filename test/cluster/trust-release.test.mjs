// `creg-chart trust --release` against a real API server (test/cluster/harness.mjs:
// etcd, kube-apiserver, controller-manager, scheduler, kwok nodes on 127.0.0.1):
//   - the chart's non-hook objects (rendered by the real helm) are applied with kubectl;
//   - the bundled signer runs its `in-cluster` mode outside a pod with the token of the
//     chart's own signer ServiceAccount (so the Role's ConfigMap rules are exercised for
//     real) and publishes ConfigMap <fullname>-ca; a second run changes nothing;
//   - the node trust script, given that ConfigMap's keys as files, writes the trust files;
//   - creg-chart trust --release reads the Service and that ConfigMap with kubectl and
//     writes the same files as the node trust DaemonSet would;
//   - missing release, missing ConfigMap, missing permission, unknown context: clear errors.
// Skipped (with a message) when the control plane binaries are not built; required in CI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createCertificateAuthority } from '../../dist/pki/index.js';
import { stringify as stringifyYaml } from 'yaml';
import { DEFAULT_CERTS_DIRS, formatAddress, planTrust } from '../../dist/trust/plan.js';
import { HELMS, ROOT, buildChart, helmTemplate, tempDir, trustScriptOf } from '../helpers/chart.mjs';
import { assertPlanOnDisk, listTree, trustShells } from '../helpers/trust.mjs';
import { BUILD_COMMAND, binDir, kubectlPath, missingBinaries, requireBinaries, startCluster } from './harness.mjs';

const RELEASE = 'eyoh';
const NS = 'registry';
const FULL = 'eyoh-creg';
const CLI = join(ROOT, 'bin', 'creg-chart.js');
const SIGNER = join(ROOT, 'dist', 'signer', 'signer.js');
const KINDS = ['containerd', 'docker', 'containers'];
const missing = missingBinaries();

if (missing.length > 0) {
  const msg = `Control plane binaries not found in ${binDir()} (missing: ${missing.join(', ')}); build them with: ${BUILD_COMMAND}`;
  if (process.env.CI) {
    test('control plane binaries are present', () => { requireBinaries(); });
  } else {
    console.warn(`\nSKIP test/cluster/trust-release.test.mjs: ${msg}\n`);
    test.skip(`creg-chart trust --release against a real API server (skipped: ${msg})`, () => {});
  }
  test.run();
} else {
  const work = tempDir('creg-trust-release-');
  let cluster;
  let signerEnv;

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
  const kubectlMaybe = (args) => cluster.kubectl(args).status === 0;
  const cli = (args, env = {}) => {
    const r = spawnSync(process.execPath, [CLI, 'trust', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECTL: kubectlPath(), ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
  };
  const runSigner = () => {
    const r = spawnSync(process.execPath, [SIGNER, 'in-cluster'], { encoding: 'utf8', timeout: 300_000, env: signerEnv });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  test('the chart is applied, and the signer (with its own ServiceAccount token) publishes ConfigMap <fullname>-ca', async () => {
    const { chartDir } = await buildChart({ outputDir: join(work, 'chart') });
    const objs = helmTemplate(HELMS[0].bin, chartDir, ['--set', 'registry.replicas=1'], RELEASE, NS);
    const plain = objs.filter((o) => !o.metadata?.annotations?.['helm.sh/hook']);
    kubectl(['create', 'namespace', NS]);
    kubectl(['create', '-f', '-'], plain.map((o) => `---\n${stringifyYaml(o)}`).join('\n'));
    const token = kubectl(['-n', NS, 'create', 'token', `${FULL}-signer`]).trim();
    const tokenFile = join(work, 'signer-token');
    writeFileSync(tokenFile, token);
    const job = objs.find((o) => o.kind === 'Job');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.is(env.CA_CONFIGMAP, `${FULL}-ca`);
    signerEnv = {
      PATH: process.env.PATH, ...env, POD_NAMESPACE: NS, READY_TIMEOUT_SECONDS: '120',
      KUBE_API_URL: cluster.apiUrl, KUBE_TOKEN_FILE: tokenFile, KUBE_CA_FILE: cluster.caFile,
    };
    const r = runSigner();
    assert.is(r.status, 0, r.out);
    assert.match(r.out, /creating ConfigMap eyoh-creg-ca \(CA certificate only\)/);
    assert.not.match(r.out, /PRIVATE KEY/);
    const cm = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json']));
    assert.equal(Object.keys(cm.data).sort(), ['ca.crt', 'cluster-ip']);
    const svc = JSON.parse(kubectl(['-n', NS, 'get', 'service', 'registry-svc', '-o', 'json']));
    assert.is(cm.data['cluster-ip'], svc.spec.clusterIP);
    assert.is(cm.metadata.labels['app.kubernetes.io/managed-by'], 'creg-chart-signer');
    const secret = JSON.parse(kubectl(['-n', NS, 'get', 'secret', `${FULL}-ca`, '-o', 'json']));
    assert.is(cm.data['ca.crt'], Buffer.from(secret.data['ca.crt'], 'base64').toString('utf8'));
    // The pin: a Secret only the signer writes, binding node trust to what it published.
    const pin = JSON.parse(kubectl(['-n', NS, 'get', 'secret', `${FULL}-ca-pin`, '-o', 'json']));
    assert.is(pin.metadata.labels['app.kubernetes.io/managed-by'], 'creg-chart-signer');
    assert.equal(Object.keys(pin.data).sort(), ['ca.crt.sha256', 'cluster-ip']);
    assert.is(Buffer.from(pin.data['ca.crt.sha256'], 'base64').toString(), createHash('sha256').update(cm.data['ca.crt']).digest('hex'));
    assert.is(Buffer.from(pin.data['cluster-ip'], 'base64').toString(), svc.spec.clusterIP);
    const rv = cm.metadata.resourceVersion;
    const again = runSigner();
    assert.is(again.status, 0, again.out);
    assert.match(again.out, /keeping ConfigMap eyoh-creg-ca: eyoh-creg-ca already publishes this CA/);
    assert.is(JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json'])).metadata.resourceVersion, rv, 'second run changed nothing');
  });

  test('creg-chart trust --release writes the DaemonSet\'s files for ClusterIP:port; --print shows the kubectl commands', () => {
    const svc = JSON.parse(kubectl(['-n', NS, 'get', 'service', 'registry-svc', '-o', 'json']));
    assert.is(svc.metadata.annotations['creg-chart/ca-configmap'], `${FULL}-ca`);
    const caPem = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json'])).data['ca.crt'];
    const root = join(work, 'root');
    for (const k of KINDS) mkdirSync(join(root, DEFAULT_CERTS_DIRS[k], '..'), { recursive: true });
    const r = cli(['--release', RELEASE, '-n', NS, '--kubeconfig', cluster.kubeconfig, '--root', root]);
    assert.is(r.status, 0, r.out);
    const plan = planTrust({
      caPem, address: formatAddress(svc.spec.clusterIP, 5000), owner: `${NS}/${FULL}`,
      dirs: KINDS.map((kind) => ({ kind, certsDir: DEFAULT_CERTS_DIRS[kind] })),
    });
    assertPlanOnDisk(root, plan);
    assert.match(r.stdout, new RegExp(`This machine now trusts ${svc.spec.clusterIP.replace(/\./g, '\\.')}:5000 \\(CA from release eyoh: Service registry/registry-svc, ConfigMap registry/eyoh-creg-ca\\)`));
    const p = cli(['--release', RELEASE, '-n', NS, '--kubeconfig', cluster.kubeconfig, '--kube-context', 'creg-test', '--print']);
    assert.is(p.status, 0, p.out);
    assert.match(p.stdout, /#   kubectl --kubeconfig=\S+ --context=creg-test get --selector=app\.kubernetes\.io\/instance=eyoh,app\.kubernetes\.io\/component=registry --namespace=registry --output=json -- services/);
    assert.match(p.stdout, /#   kubectl .* get --namespace=registry --output=json -- configmap eyoh-creg-ca/);
    assert.ok(p.stdout.includes(caPem.trim()));
    // --remove --release: the release's owner, found through the Service alone.
    const rm = cli(['--remove', '--release', RELEASE, '-n', NS, '--kubeconfig', cluster.kubeconfig, '--root', root]);
    assert.is(rm.status, 0, rm.out);
    assert.equal(listTree(root), ['etc/', 'etc/containerd/', 'etc/containerd/certs.d/', 'etc/containers/', 'etc/containers/certs.d/', 'etc/docker/', 'etc/docker/certs.d/']);
  });

  test('the node trust script, fed the published ConfigMap as the kubelet mounts it, writes the same files', () => {
    const objs = helmTemplate(HELMS[0].bin, join(work, 'chart', 'creg'), [], RELEASE, NS);
    const trust = trustScriptOf(objs);
    const cm = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json']));
    const mount = join(work, 'ca-volume');
    mkdirSync(mount);
    for (const [k, v] of Object.entries(cm.data)) writeFileSync(join(mount, k), v);
    const pin = JSON.parse(kubectl(['-n', NS, 'get', 'secret', `${FULL}-ca-pin`, '-o', 'json']));
    const pinMount = join(work, 'pin-volume');
    mkdirSync(pinMount);
    for (const [k, v] of Object.entries(pin.data)) writeFileSync(join(pinMount, k), Buffer.from(v, 'base64'));
    const root = join(work, 'node-root');
    for (const k of KINDS) mkdirSync(join(root, DEFAULT_CERTS_DIRS[k]), { recursive: true });
    const sh = trustShells();
    try {
      const r = sh.shells[sh.shells.length - 1].run(trust.script, trust.argv0, {
        ...trust.env, CA_FILE: join(mount, 'ca.crt'), CLUSTER_IP_FILE: join(mount, 'cluster-ip'), PIN_DIR: pinMount,
        CONTAINERD_DIR: join(root, DEFAULT_CERTS_DIRS.containerd), DOCKER_DIR: join(root, DEFAULT_CERTS_DIRS.docker),
        CONTAINERS_DIR: join(root, DEFAULT_CERTS_DIRS.containers), READY_FILE: '', MAX_ROUNDS: '1',
      });
      assert.is(r.status, 0, r.out);
      // Someone with ConfigMap write access swaps the CA: nodes trust nothing new, remove nothing.
      const evil = createCertificateAuthority({ commonName: 'evil', validityDays: 30 }).certPem;
      kubectl(['-n', NS, 'patch', 'configmap', `${FULL}-ca`, '--type', 'merge', '-p', JSON.stringify({ data: { 'ca.crt': evil } })]);
      const tampered = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json']));
      for (const [k, v] of Object.entries(tampered.data)) writeFileSync(join(mount, k), v);
      const before = listTree(root);
      const t = sh.shells[sh.shells.length - 1].run(trust.script, trust.argv0, {
        ...trust.env, CA_FILE: join(mount, 'ca.crt'), CLUSTER_IP_FILE: join(mount, 'cluster-ip'), PIN_DIR: pinMount,
        CONTAINERD_DIR: join(root, DEFAULT_CERTS_DIRS.containerd), DOCKER_DIR: join(root, DEFAULT_CERTS_DIRS.docker),
        CONTAINERS_DIR: join(root, DEFAULT_CERTS_DIRS.containers), READY_FILE: '', MAX_ROUNDS: '1',
      });
      assert.is(t.status, 1, t.out);
      assert.match(t.out, /is not the CA the signer published .*ConfigMap eyoh-creg-ca was changed by someone else/);
      assert.equal(listTree(root), before, 'nothing written or removed');
      // The next signer run (helm upgrade) publishes the real CA again.
      const again = runSigner();
      assert.is(again.status, 0, again.out);
      assert.match(again.out, /updating ConfigMap eyoh-creg-ca/);
      assert.is(JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json'])).data['ca.crt'], cm.data['ca.crt']);
    } finally { sh.cleanup(); }
    assertPlanOnDisk(root, planTrust({
      caPem: cm.data['ca.crt'], address: formatAddress(cm.data['cluster-ip'], 5000), owner: `${NS}/${FULL}`,
      dirs: KINDS.map((kind) => ({ kind, certsDir: DEFAULT_CERTS_DIRS[kind] })),
    }));
  });

  test('trust --release with a hostile annotation: refused before kubectl reads anything it names', () => {
    const root = join(work, 'root-hostile');
    for (const k of KINDS) mkdirSync(join(root, DEFAULT_CERTS_DIRS[k], '..'), { recursive: true });
    const evilConfig = join(work, 'evil.kubeconfig');
    const marker = join(work, 'evil-ran');
    writeFileSync(evilConfig, `apiVersion: v1\nkind: Config\nusers: [{name: x, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: ["-c", "touch ${marker}"]}}}]\n`);
    // The real kubectl behind a wrapper that records every command line.
    const calls = join(work, 'kubectl-calls');
    const wrapper = join(work, 'kubectl-recording');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec '${kubectlPath()}' "$@"\n`, { mode: 0o755 });
    for (const hostile of [`--kubeconfig=${evilConfig}`, '-v=9', 'eyoh-creg-ca --all-namespaces', '../../etc', 'A'.repeat(300)]) {
      kubectl(['-n', NS, 'annotate', '--overwrite', 'service', 'registry-svc', `creg-chart/ca-configmap=${hostile}`]);
      writeFileSync(calls, '');
      const r = cli(['--release', RELEASE, '-n', NS, '--kubeconfig', cluster.kubeconfig, '--root', root], { KUBECTL: wrapper });
      assert.is(r.status, 2, r.out);
      assert.match(r.stderr, /the annotation creg-chart\/ca-configmap of Service registry\/registry-svc is .* which is not a Kubernetes object name .*; refusing to use it/);
      const lines = readFileSync(calls, 'utf8').trim().split('\n');
      assert.is(lines.length, 1, `only the Service was read: ${lines.join(' | ')}`);
      assert.match(lines[0], / get --selector=.* -- services$/);
      assert.not.ok(existsSync(marker), 'the exec plugin never ran');
    }
    kubectl(['-n', NS, 'annotate', '--overwrite', 'service', 'registry-svc', `creg-chart/ca-configmap=${FULL}-ca`]);
    assert.equal(listTree(root), ['etc/', 'etc/containerd/', 'etc/containers/', 'etc/docker/']);
  });

  test('signer: an unlabelled CA Secret already there fails the hook with what to do; tls.existingCaSecret brings it in', async () => {
    const ns = 'squat';
    kubectl(['create', 'namespace', ns]);
    const squat = createCertificateAuthority({ commonName: 'squatter', validityDays: 365 });
    const dir = join(work, 'squat');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ca.crt'), squat.certPem);
    writeFileSync(join(dir, 'ca.key'), squat.keyPem);
    kubectl(['-n', ns, 'create', 'secret', 'generic', `${FULL}-ca`, `--from-file=ca.crt=${join(dir, 'ca.crt')}`, `--from-file=ca.key=${join(dir, 'ca.key')}`]);
    const setup = (extra) => {
      const objs = helmTemplate(HELMS[0].bin, join(work, 'chart', 'creg'), ['--set', 'registry.replicas=1', ...extra], RELEASE, ns);
      const plain = objs.filter((o) => !o.metadata?.annotations?.['helm.sh/hook']);
      kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], plain.map((o) => `---\n${stringifyYaml(o)}`).join('\n'));
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, kubectl(['-n', ns, 'create', 'token', `${FULL}-signer`]).trim());
      const job = objs.find((o) => o.kind === 'Job');
      const env = Object.fromEntries(job.spec.template.spec.containers[0].env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      return { ...signerEnv, ...env, POD_NAMESPACE: ns, KUBE_TOKEN_FILE: tokenFile };
    };
    let env = setup([]);
    let r = spawnSync(process.execPath, [SIGNER, 'in-cluster'], { encoding: 'utf8', timeout: 300_000, env });
    assert.is.not(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Secret squat\/eyoh-creg-ca exists but was not made by the creg-chart signer \(no label app\.kubernetes\.io\/managed-by=creg-chart-signer\); refusing to sign with a CA of unknown origin\. If it is your own CA, set tls\.existingCaSecret=eyoh-creg-ca/);
    assert.not.ok(kubectlMaybe(['-n', ns, 'get', 'secret', `${FULL}-tls`]), 'nothing was signed');
    assert.not.ok(kubectlMaybe(['-n', ns, 'get', 'configmap', `${FULL}-ca`]), 'nothing was published');
    // The operator opts in: bring your own CA.
    env = setup(['--set', `tls.existingCaSecret=${FULL}-ca`]);
    assert.is(env.CA_SECRET_EXISTING, 'true');
    r = spawnSync(process.execPath, [SIGNER, 'in-cluster'], { encoding: 'utf8', timeout: 300_000, env });
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /using the CA of tls\.existingCaSecret eyoh-creg-ca/);
    const tls = JSON.parse(kubectl(['-n', ns, 'get', 'secret', `${FULL}-tls`, '-o', 'json']));
    assert.is(Buffer.from(tls.data['ca.crt'], 'base64').toString(), squat.certPem);
    const own = JSON.parse(kubectl(['-n', ns, 'get', 'secret', `${FULL}-ca`, '-o', 'json']));
    assert.is(own.metadata.labels?.['app.kubernetes.io/managed-by'], undefined, 'the operator\'s Secret is not changed');
    // A BYO Secret name that does not exist: the hook says how to create it.
    env = setup(['--set', 'tls.existingCaSecret=no-such-ca']);
    r = spawnSync(process.execPath, [SIGNER, 'in-cluster'], { encoding: 'utf8', timeout: 300_000, env });
    assert.is.not(r.status, 0);
    assert.match(r.stdout + r.stderr, /tls\.existingCaSecret names Secret squat\/no-such-ca, which does not exist\. Create it with your CA \(kubectl -n squat create secret generic no-such-ca --from-file=ca\.crt --from-file=ca\.key\)/);
  });

  test('--release errors: unknown release, unknown context, no permission, ConfigMap missing, kubectl missing', () => {
    const root = join(work, 'root-errors');
    for (const k of KINDS) mkdirSync(join(root, DEFAULT_CERTS_DIRS[k], '..'), { recursive: true });
    const base = ['--kubeconfig', cluster.kubeconfig, '--root', root];
    let r = cli(['--release', 'nope', '-n', NS, ...base]);
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /No registry Service of release "nope" in namespace "registry" .*\(helm list --all-namespaces\)/);
    r = cli(['--release', RELEASE, '-n', NS, '--kube-context', 'no-such-context', ...base]);
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /kube context does not exist: check --kube-context/);
    // A user that may do nothing in the namespace.
    kubectl(['-n', NS, 'create', 'serviceaccount', 'nobody']);
    const token = kubectl(['-n', NS, 'create', 'token', 'nobody']).trim();
    const kc = join(work, 'nobody.kubeconfig');
    writeFileSync(kc, readFileSync(cluster.tokenKubeconfig, 'utf8').replace(cluster.adminToken, token));
    r = cli(['--release', RELEASE, '-n', NS, '--kubeconfig', kc, '--root', root]);
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /kubectl may not list services in namespace "registry" \(Forbidden\)\. Your user needs "get" on services and configmaps there \(not on Secrets\)/);
    kubectl(['-n', NS, 'delete', 'configmap', `${FULL}-ca`]);
    r = cli(['--release', RELEASE, '-n', NS, ...base]);
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /ConfigMap registry\/eyoh-creg-ca \(the registry's CA certificate\) does not exist yet: the signer hook publishes it/);
    r = cli(['--release', RELEASE, '-n', NS, ...base], { KUBECTL: join(work, 'no-kubectl') });
    assert.is(r.status, 2, r.out);
    assert.match(r.stderr, /Cannot run kubectl at .*no-kubectl \(ENOENT\)/);
    assert.equal(listTree(root), ['etc/', 'etc/containerd/', 'etc/containers/', 'etc/docker/'], 'nothing written on any error');
    // The signer publishes it again.
    const again = runSigner();
    assert.is(again.status, 0, again.out);
    assert.match(again.out, /created ConfigMap eyoh-creg-ca/);
  });

  test('the signer refuses to overwrite a ConfigMap of that name it did not make', () => {
    kubectl(['-n', NS, 'delete', 'configmap', `${FULL}-ca`]);
    kubectl(['-n', NS, 'create', 'configmap', `${FULL}-ca`, '--from-literal=ca.crt=someone else']);
    const r = runSigner();
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /ConfigMap eyoh-creg-ca exists but was not made by the creg-chart signer/);
    assert.is(JSON.parse(kubectl(['-n', NS, 'get', 'configmap', `${FULL}-ca`, '-o', 'json'])).data['ca.crt'], 'someone else');
  });

  test.run();
}
