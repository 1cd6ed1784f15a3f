// `creg-chart` as a user runs it: the real CLI in a child process, the real
// helm, real files. Covers build, validate, init, --help, exit codes, and
// that bad input never touches an earlier good output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'creg-chart.js');
const fixture = (name) => join(root, 'test', 'fixtures', 'values', name);
const work = mkdtempSync(join(tmpdir(), 'creg-build-test-'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

function creg(args, env = {}) {
  const res = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: res.status, out: res.stdout, err: res.stderr };
}
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Lists the files of a .tgz (tar inside gzip) without a tar binary. */
function tarEntries(tgz) {
  const tar = gunzipSync(readFileSync(tgz));
  const entries = new Map();
  for (let off = 0; off + 512 <= tar.length;) {
    const name = tar.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(tar.subarray(off + 124, off + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    entries.set(name, tar.subarray(off + 512, off + 512 + size).toString('utf8'));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

test.after(() => rmSync(work, { recursive: true, force: true }));

test('build with built-in defaults: prints each step, writes the chart folder and the .tgz', () => {
  const r = creg(['build', '--output-dir', 'out']);
  assert.is(r.code, 0, r.err + r.out);
  for (const step of ['Validating values: built-in defaults', 'Rendering chart creg', 'Linting with helm v4', `Packaged chart: out/creg-${version}.tgz`]) {
    assert.ok(r.out.includes(step), `missing "${step}" in:\n${r.out}`);
  }
  const tgz = join(work, 'out', `creg-${version}.tgz`);
  assert.ok(existsSync(tgz));
  assert.ok(existsSync(join(work, 'out', 'creg', 'Chart.yaml')));
  assert.equal(readdirSync(join(work, 'out')).filter((f) => f.startsWith('.creg-build-')), [], 'no staging left behind');
  const files = tarEntries(tgz);
  for (const f of ['Chart.yaml', 'values.yaml', 'values.schema.json', 'files/signer.js']) assert.ok(files.has(`creg/${f}`), `${f} not in the .tgz: ${[...files.keys()].join(' ')}`);
  const chart = parse(files.get('creg/Chart.yaml'));
  assert.is(chart.name, 'creg');
  assert.is(chart.version, version);
  assert.is(String(chart.appVersion), '3.1.2');
  assert.equal(JSON.parse(files.get('creg/values.schema.json')), JSON.parse(readFileSync(join(root, 'schemas', 'values.schema.json'), 'utf8')));
  // The signer's checksum, recomputable from the shipped file and from the source's own bundle.
  assert.is(chart.annotations['creg-chart/signer-sha256'], sha(join(work, 'out', 'creg', 'files', 'signer.js')));
  assert.is(chart.annotations['creg-chart/signer-sha256'], sha(join(root, 'dist', 'signer', 'signer.js')));
  assert.is(chart.annotations['creg-chart/built-by'], `creg-chart ${version}`);
  // A PEM key block (header plus base64 body), not the words node-forge's PEM code contains.
  for (const [name, text] of files) assert.not.match(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{64,}-----END/, `${name} holds a private key`);
});

test('build -f and --set: the chart values.yaml holds the merged values, defaults included', () => {
  const r = creg(['build', '-f', fixture('goodone.yaml'), '--set', 'registry.replicas=3', '--output-dir', 'out-b', '--chart-version', '1.2.3-rc.1']);
  assert.is(r.code, 0, r.err + r.out);
  const values = parse(readFileSync(join(work, 'out-b', 'creg', 'values.yaml'), 'utf8'));
  assert.is(values.nas.server, 'nas-b.example.internal');
  assert.is(values.registry.replicas, 3);
  assert.is(values.signer.image.repository, 'node');
  assert.ok(existsSync(join(work, 'out-b', 'creg-1.2.3-rc.1.tgz')));
});

test('bad values: exit 1, every problem named with file and field, earlier output untouched', () => {
  const tgz = join(work, 'out', `creg-${version}.tgz`);
  const before = sha(tgz);
  const valuesBefore = sha(join(work, 'out', 'creg', 'values.yaml'));
  const r = creg(['build', '-f', fixture('badkind.yaml'), '-f', fixture('shellpath.yaml'), '--output-dir', 'out']);
  assert.is(r.code, 1);
  assert.match(r.err, /^Error: The values are not valid:/);
  assert.match(r.err, /badkind\.yaml:2: registry\.kind: expected one of "ReplicationController", "Deployment", got the string "StatefulSet"/);
  assert.match(r.err, /badkind\.yaml:3: registry\.replicas/);
  assert.match(r.err, /shellpath\.yaml:2: nas\.path/);
  assert.not.match(r.err, /at .*\.js:\d+/, 'no stack trace for a user error');
  // Validation runs while helm lints (src/build/pipeline.ts); a failure says nothing of rendering or linting.
  assert.equal(r.out.trim().split('\n'), [`Validating values: built-in defaults, ${fixture('badkind.yaml')}, ${fixture('shellpath.yaml')}`]);
  assert.is(sha(tgz), before);
  assert.is(sha(join(work, 'out', 'creg', 'values.yaml')), valuesBefore);
  assert.equal(readdirSync(join(work, 'out')).filter((f) => f.startsWith('.creg-build-')), []);
});

test('bad values never create an output folder', () => {
  const r = creg(['build', '-f', fixture('empty.yaml'), '--output-dir', 'never']);
  assert.is(r.code, 1);
  assert.match(r.err, /empty\.yaml: the values file is empty/);
  assert.not.ok(existsSync(join(work, 'never')));
});

test('a bad chart version is refused before anything is written', () => {
  const r = creg(['build', '--chart-version', 'v1', '--output-dir', 'never']);
  assert.is(r.code, 2);
  assert.match(r.err, /--chart-version: expected a semantic version such as 1\.2\.3, got "v1"/);
  assert.not.ok(existsSync(join(work, 'never')));
});

test('validate: good files pass, bad ones fail with the field', () => {
  const ok = creg(['validate', '-f', fixture('goodone.yaml')]);
  assert.is(ok.code, 0, ok.err);
  assert.match(ok.out, /Values are valid: built-in defaults, .*goodone\.yaml/);
  const bad = creg(['validate', '--set', 'registry.port=0']);
  assert.is(bad.code, 1);
  assert.match(bad.err, /--set registry\.port=0: registry\.port: expected a whole number from 1 to 65535, got the integer 0/);
});

test('init writes a commented starter file that validates, and never overwrites without --force', () => {
  const r = creg(['init', 'my-values.yaml']);
  assert.is(r.code, 0, r.err);
  const text = readFileSync(join(work, 'my-values.yaml'), 'utf8');
  assert.match(text, /^# /m);
  assert.is(creg(['validate', '-f', 'my-values.yaml']).code, 0);
  writeFileSync(join(work, 'my-values.yaml'), 'nas:\n  server: mine\n');
  const again = creg(['init', 'my-values.yaml']);
  assert.is(again.code, 1);
  assert.match(again.err, /my-values\.yaml already exists; nothing was written\. .*--force/);
  assert.is(readFileSync(join(work, 'my-values.yaml'), 'utf8'), 'nas:\n  server: mine\n');
  assert.is(creg(['init', 'my-values.yaml', '--force']).code, 0);
});

test('--help on every command; unknown commands and flags are usage errors (exit 2)', () => {
  for (const cmd of [[], ['build'], ['validate'], ['init'], ['cert']]) {
    const r = creg([...cmd, '--help']);
    assert.is(r.code, 0, `${cmd} --help: ${r.err}`);
    assert.match(r.out, /--help/);
  }
  assert.match(creg(['build', '--help']).out, /--values.*-f|-f, --values/);
  const unknownCmd = creg(['biuld']);
  assert.is(unknownCmd.code, 2);
  assert.match(unknownCmd.err, /Did you mean build\?/);
  const unknownFlag = creg(['build', '--output', 'x']);
  assert.is(unknownFlag.code, 2);
  assert.match(unknownFlag.err, /Unknown argument: output/);
  assert.is(creg([]).code, 2);
});

test('a missing or too-old helm is one clear line', () => {
  const missing = creg(['build', '--output-dir', 'never'], { HELM_BIN: join(work, 'no-helm') });
  assert.is(missing.code, 1);
  assert.match(missing.err, /^Error: helm not found at .*no-helm \(from HELM_BIN\)\. Fix HELM_BIN/);
  // A stand-in that reports an old version: the version check itself is what is tested here.
  const old = join(work, 'old-helm');
  writeFileSync(old, '#!/bin/sh\necho v3.2.4\n');
  chmodSync(old, 0o755);
  const tooOld = creg(['build', '--output-dir', 'never'], { HELM_BIN: old });
  assert.is(tooOld.code, 1);
  assert.match(tooOld.err, /helm v3\.2\.4 at .*old-helm \(from HELM_BIN\) is too old: creg-chart needs helm >= 3\.8\.0/);
  assert.not.ok(existsSync(join(work, 'never')));
  // publish's TLS/plain-HTTP flags reach helm push/pull, which took them in Helm 3.13.
  const v312 = join(work, 'helm-3.12');
  writeFileSync(v312, '#!/bin/sh\necho v3.12.3\n');
  chmodSync(v312, 0o755);
  const oldPush = creg(['publish', 'never.tgz', '--to', 'oci://127.0.0.1:1/charts', '--plain-http'], { HELM_BIN: v312 });
  assert.is(oldPush.code, 1, oldPush.err);
  assert.match(oldPush.err, /--plain-http \(passed to helm push and helm pull\) needs helm >= 3\.13\.0, but .*helm-3\.12 is v3\.12\.3/);
});

test.run();
