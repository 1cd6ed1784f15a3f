// Per-cluster overrides as an operator uses them: `creg-chart validate
// --cluster-dir` over a folder of good and bad cluster files, and
// `creg-chart template` (the real helm template of the built chart) for one
// cluster, with Helm 4 and Helm 3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, ROOT, find, parseManifests, tempDir, validateObject } from './helpers/chart.mjs';

const cli = join(ROOT, 'bin', 'creg-chart.js');
const fixtures = join(ROOT, 'test', 'fixtures', 'clusters');
const work = tempDir('creg-clusters-test-');
test.after(() => rmSync(work, { recursive: true, force: true }));

function creg(args, env = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const base = join(fixtures, 'base.yaml');
const rel = (p) => p; // paths are printed as given

test('validate --cluster-dir: every good file gets a line, exit 0', () => {
  const r = creg(['validate', '-f', base, '--cluster-dir', join(fixtures, 'good')]);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`ok +${rel(join(fixtures, 'good', 'cluster-a.yaml'))}`));
  assert.match(r.out, new RegExp(`ok +${rel(join(fixtures, 'good', 'cluster-b.yaml'))}`));
  assert.match(r.out, /All 2 cluster file\(s\) are valid\./);
});

test('validate --cluster-dir: every bad file and every bad field is reported, not just the first; exit 1', () => {
  const dir = join(fixtures, 'mixed');
  const r = creg(['validate', '-f', base, '--cluster-dir', dir]);
  assert.is(r.code, 1, r.out + r.err);
  const out = r.out;
  assert.match(out, new RegExp(`ok +${join(dir, 'goodone.yaml')}`));
  assert.match(out, new RegExp(`FAIL +${join(dir, 'badport.yaml')}: 1 problem`));
  assert.match(out, new RegExp(`${join(dir, 'badport.yaml')}:4: registry\\.port: expected an integer, got the string "5000"\\. Write it without quotes: 5000\\.`));
  assert.match(out, new RegExp(`FAIL +${join(dir, 'manyproblems.yaml')}: 3 problem`));
  assert.match(out, /manyproblems\.yaml:2: registry\.replicass: unknown key; did you mean "registry\.replicas"\?/);
  assert.match(out, /manyproblems\.yaml:3: registry\.kind: expected one of "ReplicationController", "Deployment", got the string "StatefulSet"\./);
  assert.match(out, /manyproblems\.yaml:5: nas\.path: expected absolute path/);
  assert.match(out, new RegExp(`FAIL +${join(dir, 'notyaml.yml')}: 1 problem`));
  assert.match(out, /notyaml\.yml:2:1: not valid YAML/);
  assert.not.match(out, /README\.txt/, 'only *.yaml / *.yml files are cluster files');
  assert.match(r.err, /Error: 3 of 4 cluster file\(s\) are not valid: .*badport\.yaml, .*manyproblems\.yaml, .*notyaml\.yml\./);
});

test('validate --cluster (single files) and a base problem shows under each cluster with its own file name', () => {
  const r = creg(['validate', '-f', join(ROOT, 'test', 'fixtures', 'values', 'badport.yaml'), '--cluster', join(fixtures, 'good', 'cluster-a.yaml'), '--cluster', join(fixtures, 'good', 'cluster-b.yaml')]);
  assert.is(r.code, 1);
  assert.is((r.out.match(/values\/badport\.yaml:\d+: registry\.port/g) ?? []).length, 2, r.out);
});

test('validate --cluster-dir: a missing or empty folder is a usage error (exit 2) that says what to do', () => {
  let r = creg(['validate', '--cluster-dir', join(work, 'nope')]);
  assert.is(r.code, 2);
  assert.match(r.err, /--cluster-dir .*nope: cannot read the folder \(it does not exist\)/);
  mkdirSync(join(work, 'empty'));
  r = creg(['validate', '--cluster-dir', join(work, 'empty')]);
  assert.is(r.code, 2);
  assert.match(r.err, /the folder has no \*\.yaml or \*\.yml files/);
});

for (const h of HELMS) {
  const env = { HELM_BIN: h.bin };
  test(`[${h.label}] template --cluster: base and cluster merged, --set last, every object valid; out/ untouched`, () => {
    const r = creg(['template', '-f', base, '--cluster', join(fixtures, 'good', 'cluster-b.yaml'), '--set', 'registry.port=5443', '-n', 'registry', '--release-name', 'reg-b'], env);
    assert.is(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`helm template reg-b .* -f .*cluster-b\\.yaml \\(helm v${h.version.replace(/\./g, '\\.')}\\)`));
    const objs = parseManifests(r.out);
    for (const o of objs) validateObject(o);
    const dep = find(objs, 'Deployment', 'reg-b-creg');
    assert.is(dep.spec.replicas, 2, 'from the cluster file');
    assert.is(dep.metadata.namespace, 'registry');
    const pod = dep.spec.template.spec;
    assert.equal(pod.nodeSelector, { node: 'registry-b' });
    assert.is(pod.containers.find((c) => c.name === 'registry').ports[0].containerPort, 5443, '--set wins');
    const mount = find(objs, 'DaemonSet', 'reg-b-creg-nas-mount');
    const mountEnv = Object.fromEntries(mount.spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    assert.is(mountEnv.NAS_SERVER ?? JSON.stringify(mountEnv), 'nas.example.internal', 'from base.yaml');
    assert.is(find(objs, 'Service', 'registry-svc').spec.sessionAffinity, 'ClientIP');
    assert.not.ok(existsSync(join(work, 'out')), 'no out/ written');
  });
}

test('validate --cluster-dir with a FIFO and a symlink to /dev/zero: each refused at once, the others still checked', () => {
  const dir = join(work, 'strange');
  mkdirSync(dir);
  spawnSync('mkfifo', [join(dir, 'a-fifo.yaml')]);
  symlinkSync('/dev/zero', join(dir, 'b-zero.yaml'));
  writeFileSync(join(dir, 'c-good.yaml'), 'registry:\n  port: 5001\n');
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, 'validate', '--cluster-dir', dir], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.error, undefined, 'it returned');
  assert.is(r.status, 1, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(out, /a-fifo\.yaml: cannot read the values file: it is a FIFO \(named pipe\); give a regular file/);
  assert.match(out, /b-zero\.yaml: cannot read the values file: it is a device; give a regular file/);
  assert.match(out, /ok +\S*c-good\.yaml/);
  assert.ok(Date.now() - started < 15_000);
});

test('the fleet worker thread, taking every share itself, answers as validateClusters does, in order', async () => {
  const { validateClusters } = await import('../dist/values/clusters.js');
  const { Worker } = await import('node:worker_threads');
  // Each file several times, so that there are many shares; this thread takes none of them.
  const files = Array.from({ length: 5 }, () => ['good', 'mixed'].flatMap((d) => readdirSync(join(fixtures, d)).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(fixtures, d, n)))).flat();
  const input = { valuesFiles: [base], set: ['registry.replicas=1'], setString: [] };
  const next = new Int32Array(new SharedArrayBuffer(4));
  const results = new Array(files.length);
  await new Promise((resolve, reject) => {
    const thread = new Worker(join(ROOT, 'dist', 'fleet-worker.js'), { workerData: { base: input, files, next } });
    thread.on('message', (m) => (m.results ? m.results.forEach((r, i) => { results[m.from + i] = r; }) : reject(new Error(m.error.message))));
    thread.once('error', reject);
    thread.once('exit', resolve);
  });
  assert.equal(results, validateClusters(input, files));
  assert.ok(results.some((r) => r.problems.length > 0) && results.some((r) => r.problems.length === 0), 'the fixtures hold good and bad files');
});

test('template --chart out/x.tgz gives the same manifests as the chart built on the fly', () => {
  const outDir = join(work, 'out-chart');
  const b = creg(['build', '--output-dir', outDir]);
  assert.is(b.code, 0, b.err);
  const tgz = join(outDir, readdirSync(outDir).find((f) => f.endsWith('.tgz')));
  const args = ['-f', base, '--cluster', join(fixtures, 'good', 'cluster-a.yaml'), '-n', 'registry'];
  const fromTgz = creg(['template', '--chart', tgz, ...args]);
  const onTheFly = creg(['template', ...args]);
  assert.is(fromTgz.code, 0, fromTgz.err);
  assert.is(onTheFly.code, 0, onTheFly.err);
  // The HTTP secret is random on each render (reused from the cluster on upgrades).
  const masked = (t) => t.replace(/REGISTRY_HTTP_SECRET: "[^"]+"/, 'REGISTRY_HTTP_SECRET: (random)');
  assert.match(fromTgz.out, /REGISTRY_HTTP_SECRET: "/);
  assert.is(masked(fromTgz.out), masked(onTheFly.out));
  assert.equal(find(parseManifests(fromTgz.out), 'Service', 'registry-svc').spec.clusterIP, '10.96.0.50');
});

test('template with a bad cluster file: our messages with file and line, no manifests, exit 1', () => {
  const r = creg(['template', '-f', base, '--cluster', join(fixtures, 'mixed', 'manyproblems.yaml')]);
  assert.is(r.code, 1);
  assert.is(r.out, '');
  assert.match(r.err, /manyproblems\.yaml:2: registry\.replicass: unknown key/);
  assert.match(r.err, /manyproblems\.yaml:3: registry\.kind/);
});

test('template --chart that does not exist, bad --release-name: usage errors (exit 2)', () => {
  let r = creg(['template', '--chart', join(work, 'missing.tgz')]);
  assert.is(r.code, 2);
  assert.match(r.err, /--chart .*missing\.tgz: no such file or folder/);
  r = creg(['template', '--release-name', 'Bad_Name']);
  assert.is(r.code, 2);
  assert.match(r.err, /--release-name: expected lower-case letters/);
});

test.run();
