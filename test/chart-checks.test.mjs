// The chart's own checks: the `helm test` Pod (rendered by Helm 4 and 3,
// checked with kubernetes-models, and its script run for real against the
// real Distribution registry over TLS) and the install preflight for the
// registry node label (its check fed node lists through real helm; lookup
// against a real API server is left to the cluster tests).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, find, helmTemplate, runHelm, tempDir, validateObject } from './helpers/chart.mjs';
import { have, signCertificates, startRegistry, writeHtpasswd } from './helpers/registry.mjs';

const work = tempDir('creg-chart-checks-');
const registries = [];
test.after(() => {
  for (const r of registries) r.stop();
  rmSync(work, { recursive: true, force: true });
});
let built;
try {
  built = await buildChart({ outputDir: join(work, 'out') });
} catch (err) {
  rmSync(work, { recursive: true, force: true }); // test.after never runs when this throws
  throw err;
}
const testPodOf = (objs) => find(objs, 'Pod', 'eyoh-creg-test');

for (const h of HELMS) {
  test(`[${h.label}] the helm test Pod: a valid test hook that mounts only ca.crt of the TLS Secret, values in env only`, () => {
    const objs = helmTemplate(h.bin, built.chartDir, ['--set', 'registry.port=5443,service.name=my-registry'], 'eyoh', 'registry');
    const pod = testPodOf(objs);
    validateObject(pod);
    assert.is(pod.metadata.annotations['helm.sh/hook'], 'test');
    assert.is(pod.metadata.annotations['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    assert.is(pod.spec.restartPolicy, 'Never');
    assert.is(pod.spec.automountServiceAccountToken, false);
    const c = pod.spec.containers[0];
    assert.equal(c.command, ['node', '-e']);
    assert.is(c.image, `${built.values.signer.image.repository}:${built.values.signer.image.tag}`);
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    assert.is(env.SERVICE_NAME, 'my-registry');
    assert.is(env.REGISTRY_PORT, '5443');
    assert.is(env.TLS_STORE, 'eyoh-creg-tls');
    assert.not.match(c.args[0], /my-registry|5443|eyoh/, 'values never reach the script text');
    const vol = pod.spec.volumes.find((v) => v.name === 'tls');
    assert.equal(vol.secret, { secretName: 'eyoh-creg-tls', optional: true, items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    assert.is(c.securityContext.readOnlyRootFilesystem, true);
  });

  test(`[${h.label}] helm template --skip-tests leaves the test Pod out; the preflight renders no object without a cluster`, () => {
    const objs = helmTemplate(h.bin, built.chartDir, ['--skip-tests']);
    assert.not.ok(objs.some((o) => o.kind === 'Pod'));
    const r = runHelm(h.bin, ['template', 'eyoh', built.chartDir, '--show-only', 'templates/preflight.yaml']);
    assert.is.not(r.status, 0, 'preflight.yaml must render nothing');
    assert.match(r.stderr, /could not find template templates\/preflight\.yaml in chart/);
  });
}

// ------------------------------------------------ the test script, for real
const script = testPodOf(helmTemplate(HELMS[0].bin, built.chartDir, [], 'eyoh', 'registry')).spec.containers[0].args[0];

function runTestScript(port, caFile, extraEnv = {}) {
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      POD_NAMESPACE: 'registry',
      SERVICE_NAME: 'registry-svc',
      // What the kubelet injects for a Service named registry-svc.
      REGISTRY_SVC_SERVICE_HOST: '127.0.0.1',
      REGISTRY_PORT: String(port),
      CLUSTER_DOMAIN: 'cluster.local',
      TLS_STORE: 'eyoh-creg-tls',
      SIGNER_JOB: 'eyoh-creg-signer',
      CA_FILE: caFile,
      AUTH_ENABLED: 'false',
      ...extraEnv,
    },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

const missing = ['docker-registry', 'htpasswd'].filter((b) => !have(b));
if (missing.length) {
  test('docker-registry and htpasswd are installed', () => {
    if (process.env.CI) assert.unreachable(`missing ${missing.join(', ')} (required when CI is set)`);
    console.log(`  skipped the test script runs: ${missing.join(', ')} not installed`);
  });
} else {
  const good = signCertificates(join(work, 'good'));
  test('test script passes against the real registry with a certificate for the ClusterIP (/v2/ 200)', async () => {
    const reg = await startRegistry({ dir: join(work, 'reg-open'), tls: good });
    registries.push(reg);
    const r = runTestScript(reg.port, good.ca);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /certificate: IP Address:127\.0\.0\.1/);
    assert.match(r.out, /OK: \/v2\/ answered 200 over TLS, certificate valid for 127\.0\.0\.1/);
  });

  test('auth on: the test script passes with 401 without and 200 with the pull Secret\'s credentials, and fails otherwise', async () => {
    writeHtpasswd(join(work, 'htpasswd'), 'pull', 'pull-password');
    const reg = await startRegistry({ dir: join(work, 'reg-auth'), tls: good, htpasswd: join(work, 'htpasswd') });
    registries.push(reg);
    const pull = join(work, 'pull'); // the pull Secret's username and password keys, as mounted
    mkdirSync(pull);
    writeFileSync(join(pull, 'username'), 'pull');
    writeFileSync(join(pull, 'password'), 'pull-password');
    const auth = { AUTH_ENABLED: 'true', PULL_SECRET: 'eyoh-creg-pull', PULL_DIR: pull };
    let r = runTestScript(reg.port, good.ca, auth);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /OK: \/v2\/ answered 401 without credentials/);
    assert.match(r.out, /OK: \/v2\/ answered 200 with the pull user of Secret eyoh-creg-pull/);
    assert.not.match(r.out, /pull-password/, 'the password is never printed');
    writeFileSync(join(pull, 'password'), 'wrong');
    r = runTestScript(reg.port, good.ca, auth);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: \/v2\/ answered 401 with the pull credentials of Secret eyoh-creg-pull \(expected 200\)/);
    r = runTestScript(reg.port, good.ca, { ...auth, PULL_DIR: join(work, 'no-pull') });
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: no pull credentials in Secret eyoh-creg-pull/);
    r = runTestScript(reg.port, good.ca);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: \/v2\/ answered 401 \(expected 200: auth is off\)/);
    r = runTestScript(registries[0].port, good.ca, auth);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: \/v2\/ answered 200 without credentials \(expected 401: auth is on\)/);
  });

  test('[helm4] auth on: the test Pod mounts username and password of the pull Secret (optional) and gets AUTH_ENABLED', () => {
    const pod = testPodOf(helmTemplate(HELMS[0].bin, built.chartDir, ['--set', 'auth.enabled=true'], 'eyoh', 'registry'));
    validateObject(pod);
    const env = Object.fromEntries(pod.spec.containers[0].env.map((e) => [e.name, e.value]));
    assert.is(env.AUTH_ENABLED, 'true');
    assert.is(env.PULL_SECRET, 'eyoh-creg-pull');
    const vol = pod.spec.volumes.find((v) => v.name === 'pull');
    assert.equal(vol.secret, { secretName: 'eyoh-creg-pull', optional: true, items: [{ key: 'username', path: 'username' }, { key: 'password', path: 'password' }] });
    assert.ok(pod.spec.containers[0].volumeMounts.some((m) => m.name === 'pull' && m.mountPath === '/pull' && m.readOnly));
  });

  test('test script fails when the certificate is signed for another IP than the ClusterIP', async () => {
    // Only a name in the certificate: nothing is sent to 10.1.2.3.
    const other = signCertificates(join(work, 'other-ip'), '10.1.2.3');
    const reg = await startRegistry({ dir: join(work, 'reg-other-ip'), tls: other, verifyOnStart: false });
    registries.push(reg);
    const r = runTestScript(reg.port, other.ca);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: .*ERR_TLS_CERT_ALTNAME_INVALID.*not valid for the ClusterIP/);
  });

  test('test script fails with another CA, and says what to do when ca.crt is missing', async () => {
    const reg = registries[0];
    const strangers = signCertificates(join(work, 'stranger'));
    let r = runTestScript(reg.port, strangers.ca);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /FAIL: .*(self-signed|unable to verify|UNABLE_TO_VERIFY)/i);
    r = runTestScript(reg.port, join(work, 'nope', 'ca.crt'));
    assert.is(r.code, 1);
    assert.match(r.out, /FAIL: no ca\.crt in Secret eyoh-creg-tls: the signer hook has not run or failed; see kubectl -n registry logs job\/eyoh-creg-signer/);
  });
}

// ---------------------------------------------------------------- preflight
/**
 * A copy of the built chart with one more template that feeds `nodes` to the
 * chart's own check (what templates/preflight.yaml does with lookup's answer).
 */
function preflightWith(nodes, name) {
  const dir = join(work, `preflight-${name}`, 'creg');
  cpSync(built.chartDir, dir, { recursive: true });
  const json = JSON.stringify(JSON.stringify({ items: nodes }));
  writeFileSync(join(dir, 'templates', 'zz-preflight-harness.yaml'), `{{- include "creg.preflightNodes" (dict "nodes" (fromJson ${json}).items "Values" .Values) }}\n`);
  return dir;
}
const node = (name, labels) => ({ metadata: { name, labels } });

for (const h of HELMS) {
  test(`[${h.label}] preflight fails when no node has the label, naming the kubectl label command and the nodes`, () => {
    const chart = preflightWith([node('cp-1', { 'node-role.kubernetes.io/control-plane': '' }), node('worker-1', { node: 'other' }), node('worker-2')], 'none');
    const r = runHelm(h.bin, ['template', 'eyoh', chart]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /preflight: no node carries the registry node label node=registry/);
    assert.match(r.stderr, /kubectl label nodes NODE node=registry/);
    assert.match(r.stderr, /Nodes in this cluster \(3\): cp-1, worker-1, worker-2/);
    assert.match(r.stderr, /--set preflight\.enabled=false/);
    const custom = runHelm(h.bin, ['template', 'eyoh', chart, '--set-string', 'nodeLabel.key=example.com/registry,nodeLabel.value=true']);
    assert.match(custom.stderr, /kubectl label nodes NODE example\.com\/registry=true/);
  });

  test(`[${h.label}] preflight passes when one node has the label; long node lists are cut at 10`, () => {
    const ok = runHelm(h.bin, ['template', 'eyoh', preflightWith([node('a', {}), node('b', { node: 'registry' })], 'one')]);
    assert.is(ok.status, 0, ok.stderr);
    const many = Array.from({ length: 12 }, (_, i) => node(`n${i}`, { node: 'registry-not' }));
    const r = runHelm(h.bin, ['template', 'eyoh', preflightWith(many, 'many')]);
    assert.match(r.stderr, /Nodes in this cluster \(12\): n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, \.\.\./);
    const empty = runHelm(h.bin, ['template', 'eyoh', preflightWith([], 'empty')]);
    assert.match(empty.stderr, /Nodes in this cluster \(0\)/);
  });
}

test.run();
