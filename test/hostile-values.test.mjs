// The hostile values corpus (test/fixtures/hostile/, one file per failure
// mode) and hostile --set arguments. For each: either creg-chart refuses it
// with `file:line: field: message`, or it accepts it and the real Helm 3 and
// Helm 4 read exactly the values creg-chart validated, both from the user's
// file itself and from the values.yaml that `creg-chart build` writes. Never
// accepted and different.
//
// Helm is asked in bulk: every accepted case becomes a probe chart whose only
// template fails with `.Values` as JSON; `helm lint` runs every probe in one
// process (in lint mode Helm logs a `fail` message instead of stopping).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadValuesFile, resolveValues } from '../dist/values/index.js';
import { commentText, helmValuesYaml, isYamlSafeText, withoutNullKeys } from '../dist/values/emit.js';
import { checkHelmValues, helmValuesOf, writeValuesProbe } from '../dist/build/values-check.js';
import { findHelm } from '../dist/helm/helm.js';
import { DEFAULTS_FILE, HELMS, ROOT, buildChart, helmTemplate, runHelm, tempDir } from './helpers/chart.mjs';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'hostile');
const work = tempDir('creg-hostile-');
test.after(() => rmSync(work, { recursive: true, force: true }));

const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
  const path = join(FIXTURES, file);
  const first = readFileSync(path, 'latin1').replace(/^\xef\xbb\xbf/, '').split('\n')[0];
  const m = /^# expect: (refused \/(.*)\/|accepted)$/.exec(first);
  if (!m) throw new Error(`${file}: the first line must be "# expect: refused /REGEX/" or "# expect: accepted", not ${JSON.stringify(first)}`);
  return { name: file.replace(/\.yaml$/, ''), path, refused: m[2] !== undefined ? new RegExp(m[2]) : undefined };
});

/** Hostile --set/--set-string arguments (the files cannot carry these). */
const SETS = [
  { name: 'set-string-ls-into-extraenv', setString: [`registry.extraEnv[0].name=A,registry.extraEnv[0].value=x\u2028nas: {mountPath: /etc}\u2029y`] },
  { name: 'set-string-nel-cr-tab-into-extraenv', setString: ['registry.extraEnv[0].name=A,registry.extraEnv[0].value=a\u0085b\rc\td\u001b[0m'] },
  { name: 'set-brace-inside-value', set: ['registry.extraEnv[0].name=A,registry.extraEnv[0].value=x{y}z'] },
  { name: 'set-trailing-backslash-dropped', set: ['registry.extraEnv[0].name=A,registry.extraEnv[0].value=abc\\'] },
  { name: 'set-escaped-comma-and-equals', set: ['registry.extraEnv[0].name=A,registry.extraEnv[0].value=a\\,b\\=c'] },
  { name: 'set-plus-integer-port', set: ['registry.port=+5001'] },
  { name: 'set-int64-overflow-stays-string', set: ['global.x=99999999999999999999'] },
  { name: 'set-case-insensitive-bool', set: ['nas.requireNfsMount=FALSE'] },
  { name: 'set-ls-into-mountpath', set: ['nas.mountPath=/srv/a\u2028nas: x'], refused: /nas\.mountPath: / },
  { name: 'set-ls-into-label-value', set: ['nodeLabel.value=a\u2028b'], refused: /nodeLabel\.value: / },
  { name: 'set-leading-zero-port-stays-string', set: ['registry.port=05001'], refused: /registry\.port: expected an integer, got the string "05001"/ },
  { name: 'set-true-mixed-case-label', set: ['nodeLabel.value=tRuE'], refused: /nodeLabel\.value: expected a string, got the boolean true/ },
  { name: 'set-integer-beyond-2-53', set: ['global.x=9007199254740993'], refused: /9007199254740993 is a whole number Helm keeps exactly but creg-chart cannot check exactly/ },
  { name: 'set-huge-list-index', set: ['tolerations[100000].key=x'], refused: /the list index 100000 is above 65536/ },
  { name: 'set-unterminated-list', set: ['nas.mountOptions={a,b'], refused: /must end with '\}'/ },
  { name: 'set-text-after-list', set: ['nas.mountOptions={a,b}c'], refused: /expected ',' after the list/ },
  { name: 'set-proto-key', set: ['registry.__proto__.x=1'], refused: /"__proto__" is not a values key/ },
  { name: 'set-mountpath-etc', set: ['nas.mountPath=/etc'], refused: /nas\.mountPath: the string "\/etc" is refused: a system directory/ },
  { name: 'set-clusterip-unspecified', set: ['service.clusterIP=0.0.0.0'], refused: /service\.clusterIP: the string "0\.0\.0\.0" is refused/ },
];

function problemsOf(err) {
  return err.problems ?? [err.message];
}

// ---------------------------------------------------------------- refusals and our side

const accepted = [];
for (const f of fixtures) {
  test(`${f.name}: ${f.refused ? 'refused with file:line: field: message' : 'accepted'}`, () => {
    let resolved;
    let error;
    try {
      resolved = resolveValues({ valuesFiles: [f.path] });
    } catch (e) {
      if (!(e instanceof Error) || e.name === 'TypeError' || e.name === 'RangeError' || e.name === 'ReferenceError') throw e;
      error = e;
    }
    if (f.refused) {
      assert.ok(error, error ? "" : `accepted: ${JSON.stringify(resolved?.values).slice(0, 200)}`);
      const problems = problemsOf(error);
      for (const p of problems) {
        assert.ok(p.startsWith(`${f.path}:`), `every problem names the file: ${p}`);
      }
      assert.ok(problems.some((p) => f.refused.test(p)), `no problem matched ${f.refused}:\n${problems.join('\n')}`);
      const located = f.name === 'alias-bomb' ? problems : problems.filter((p) => new RegExp(`^${f.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`).test(p));
      assert.ok(located.length > 0, `a line is named: ${problems.join('\n')}`);
    } else {
      if (error) throw error;
      const yaml = helmValuesYaml(resolved.values);
      assert.ok(isYamlSafeText(yaml), 'the values.yaml written for Helm holds printable text and \\n only');
      accepted.push({ name: f.name, file: f.path, own: loadValuesFile(f.path).values, merged: resolved.values, yaml });
    }
  });
}

for (const s of SETS) {
  test(`${s.name}: ${s.refused ? 'refused, naming the --set and the field' : 'accepted'}`, () => {
    let resolved;
    let error;
    try {
      resolved = resolveValues({ set: s.set, setString: s.setString });
    } catch (e) {
      if (e.name === 'TypeError' || e.name === 'RangeError' || e.name === 'ReferenceError') throw e;
      error = e;
    }
    if (s.refused) {
      assert.ok(error, 'accepted');
      const problems = problemsOf(error);
      assert.ok(problems.every((p) => /--set(-string)? /.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => s.refused.test(p)), `no problem matched ${s.refused}:\n${problems.join('\n')}`);
    } else {
      if (error) throw error;
      const yaml = helmValuesYaml(resolved.values);
      assert.ok(isYamlSafeText(yaml));
      accepted.push({ name: s.name, set: s.set ?? [], setString: s.setString ?? [], merged: resolved.values, yaml });
    }
  });
}

// ---------------------------------------------------------------- Helm's side, in bulk

const PROBE_TEMPLATE = '{{ fail (printf "CREG-PROBE %s %s END" .Chart.Name (toJson .Values | b64enc)) }}\n';

function probe(dir, name, valuesBytes) {
  mkdirSync(join(dir, name, 'templates'), { recursive: true });
  writeFileSync(join(dir, name, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.0.0\n`);
  writeFileSync(join(dir, name, 'values.yaml'), valuesBytes);
  writeFileSync(join(dir, name, 'templates', 'probe.yaml'), PROBE_TEMPLATE);
  return join(dir, name);
}

/** `.Values` of every probe chart, as Helm read them, from one `helm lint`. */
function helmReads(bin, dirs) {
  const r = runHelm(bin, ['lint', ...dirs]);
  const out = `${r.stdout}\n${r.stderr}`;
  const seen = new Map();
  for (const m of out.matchAll(/CREG-PROBE (\S+) ([A-Za-z0-9+/=]*) END/g)) seen.set(m[1], JSON.parse(Buffer.from(m[2], 'base64').toString('utf8')));
  return { seen, out };
}

/** Helm adds an empty `global`; ours has one only when a file set it. */
function comparable(helmValues, ours) {
  const h = structuredClone(helmValues);
  if (h && !('global' in ours) && JSON.stringify(h.global) === '{}') delete h.global;
  return h;
}

test('Helm 3 and Helm 4 read every accepted file exactly as creg-chart did, and read the values.yaml the build writes for it as validated', () => {
  assert.ok(accepted.length >= 30, `accepted cases: ${accepted.length}`);
  const dir = join(work, 'probes');
  const dirs = [];
  const expected = new Map();
  accepted.forEach((c, i) => {
    if (c.file) {
      // Parse: Helm reads the user's file itself.
      dirs.push(probe(dir, `p${i}`, readFileSync(c.file)));
      expected.set(`p${i}`, { c, want: JSON.parse(JSON.stringify(withoutNullKeys(c.own))), what: 'the file itself' });
    }
    // Emit: Helm reads the values.yaml creg-chart writes (header comment included).
    const header = `# generated from:\n#   ${commentText(c.file ?? [...c.set, ...c.setString].join(' '))}\n`;
    dirs.push(probe(dir, `e${i}`, header + c.yaml));
    expected.set(`e${i}`, { c, want: JSON.parse(JSON.stringify(withoutNullKeys(c.merged))), what: "creg-chart's values.yaml" });
  });
  for (const h of HELMS) {
    const { seen, out } = helmReads(h.bin, dirs);
    for (const [name, { c, want, what }] of expected) {
      assert.ok(seen.has(name), `${h.label}: no values for ${c.name} (${what}); helm said:\n${out.split('\n').filter((l) => l.includes(`${name}`) || /ERROR/.test(l)).slice(0, 8).join('\n')}`);
      // A chart's values.yaml keeps some nulls in Helm; as a -f file a null deletes: compare without them.
      assert.equal(comparable(withoutNullKeys(seen.get(name)), want), want, `${h.label} ${h.version}: ${c.name}: Helm reads ${what} differently`);
    }
  }
});

test('Helm 3 and Helm 4 apply the hostile --set arguments exactly as creg-chart did', () => {
  const echo = join(work, 'echo');
  mkdirSync(join(echo, 'templates'), { recursive: true });
  writeFileSync(join(echo, 'Chart.yaml'), 'apiVersion: v2\nname: echo\nversion: 0.1.0\n');
  writeFileSync(join(echo, 'templates', 'values.json'), '{{ toJson .Values }}\n');
  copyFileSync(DEFAULTS_FILE, join(echo, 'values.yaml'));
  const sets = accepted.filter((c) => c.set);
  assert.ok(sets.length >= 8);
  for (const c of sets) {
    const args = [...c.set.flatMap((s) => ['--set', s]), ...c.setString.flatMap((s) => ['--set-string', s])];
    const want = JSON.parse(JSON.stringify(c.merged));
    for (const h of HELMS) {
      const r = runHelm(h.bin, ['template', 'r', echo, ...args]);
      assert.is(r.status, 0, `${h.label} ${c.name}: ${r.stderr}`);
      const json = r.stdout.split('\n').find((l) => l.startsWith('{'));
      assert.equal(comparable(JSON.parse(json), want), want, `${h.label} ${h.version}: ${c.name}`);
    }
  }
});

test('the refused --set arguments that Helm itself cannot apply fail in Helm too', () => {
  for (const arg of ['nas.mountOptions={a,b', 'nas.mountOptions={a,b}c']) {
    for (const h of HELMS) {
      const r = runHelm(h.bin, ['template', 'r', join(work, 'echo'), '--set', arg]);
      assert.is.not(r.status, 0, `${h.label} accepted --set ${arg}`);
    }
  }
});

test('the comparison can fail: a NEL written raw inside double quotes is read as a space by Helm and caught', async () => {
  const dir = join(work, 'differs');
  mkdirSync(dir, { recursive: true });
  const values = join(dir, 'values.yaml');
  writeFileSync(values, 'nodeLabel:\n  key: node\n  value: "a\u0085b"\n');
  for (const h of HELMS) {
    const helm = { bin: h.bin, version: h.version, run: (args) => Promise.resolve(runHelm(h.bin, args)).then((r) => ({ code: r.status, stdout: r.stdout, stderr: r.stderr })) };
    const probeDir = join(dir, `probe-${h.label}`);
    await writeValuesProbe(probeDir, values);
    const lint = runHelm(h.bin, ['lint', probeDir]);
    const got = await helmValuesOf(helm, probeDir, values, lint.stdout + lint.stderr);
    assert.throws(
      () => checkHelmValues({ nodeLabel: { key: 'node', value: 'a\u0085b' } }, got, h.version, 'out'),
      (e) => /Helm reads the chart's values\.yaml differently[^]*nodeLabel\.value: validated "a\\x85b", Helm [^ ]+ reads "a b"/.test(e.message),
    );
  }
});

test('build with hostile file names and --set-string: values.yaml holds no raw separators, comments escaped, Helm 3 and 4 agree', async () => {
  const dir = join(work, 'names');
  mkdirSync(dir, { recursive: true });
  const hostileName = join(dir, 'a\u2028nas: {mountPath: \u0085etc}\r#\nb.yaml');
  writeFileSync(hostileName, 'registry:\n  extraEnv:\n    - name: A\n      value: "x\\u2028nas: {mountPath: /etc}"\n');
  for (const h of HELMS) {
    const helm = await withHelm(h.bin);
    const { chartDir, values } = await buildChart({
      outputDir: join(dir, `out-${h.label}`),
      valuesFiles: [hostileName],
      setString: ['registry.extraEnv[1].name=B,registry.extraEnv[1].value=y\u2028nodeTrust: {image: {repository: evil}}'],
      helm,
    });
    const text = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
    assert.ok(isYamlSafeText(text), `${h.label}: values.yaml has only printable text and \\n`);
    assert.match(text, /^#   .*a\\u2028nas: \{mountPath: \\x85etc\}\\r#\\nb\.yaml$/m, 'the file name is shown escaped in one comment line');
    assert.is(values.registry.extraEnv[1].value, 'y\u2028nodeTrust: {image: {repository: evil}}');
    // What the chart's templates will see: the validated values, nothing injected.
    const objects = helmTemplate(h.bin, chartDir);
    const envOf = (kind, name) => Object.fromEntries(objects.find((o) => o.kind === kind && o.metadata.name.endsWith(name)).spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
    assert.is(envOf('DaemonSet', '-nas-mount').NAS_MOUNT_PATH, '/eyoh-creg', 'no injected nas.mountPath');
    const trustPod = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-node-trust')).spec.template.spec;
    assert.is(trustPod.containers[0].image, 'busybox:1.36', 'no injected node trust image');
  }
});

test('the read-back rides on the build\'s helm lint: no other helm call, the check template is neither packaged nor left behind', async () => {
  for (const h of HELMS) {
    const dir = join(work, `rides-${h.label}`);
    mkdirSync(dir, { recursive: true });
    const calls = join(dir, 'calls');
    const wrapper = join(dir, 'helm');
    writeFileSync(wrapper, `#!/bin/sh\necho "$1" >> '${calls}'\nexec '${h.bin}' "$@"\n`, { mode: 0o755 });
    const { chartDir, tgzPath } = await buildChart({ outputDir: join(dir, 'out'), valuesFiles: [join(FIXTURES, 'accepted-extraenv-every-escaped-hostile-char.yaml')], helm: await withHelm(wrapper) });
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').filter((c) => c !== 'version'), ['lint'], h.label);
    assert.not.ok(readdirSync(join(chartDir, 'templates')).some((f) => f.includes('values-check')), 'not left in the chart folder');
    assert.not.match(execFileSync('tar', ['tzf', tgzPath], { encoding: 'utf8' }), /values-check/, 'not packaged');
  }
});

async function withHelm(bin) {
  const prev = process.env.HELM_BIN;
  process.env.HELM_BIN = bin;
  try { return await findHelm(); } finally { if (prev === undefined) delete process.env.HELM_BIN; else process.env.HELM_BIN = prev; }
}

// ---------------------------------------------------------------- huge and strange inputs

test('20,000 keys in one map: read in linear time and refused by the schema (not minutes)', () => {
  const file = join(work, 'many-keys.yaml');
  writeFileSync(file, `global:\n${Array.from({ length: 20000 }, (_, i) => `  k${i}: ${i}\n`).join('')}`);
  const started = process.hrtime.bigint();
  assert.throws(() => resolveValues({ valuesFiles: [file] }), /many-keys\.yaml:2: global: expected at most 256 keys, got 20000/);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`  20,000 keys: ${ms.toFixed(0)} ms`);
  assert.ok(ms < 8000, `${ms} ms`);
});

test('deep nesting and over-size files: clear errors, no stack trace', () => {
  const deep = join(work, 'deep.yaml');
  writeFileSync(deep, `global:\n  x: ${'['.repeat(50000)}${']'.repeat(50000)}\n`);
  assert.throws(() => resolveValues({ valuesFiles: [deep] }), /deep\.yaml(:\d+:\d+)?: (not valid YAML: it is nested too deeply|the YAML is nested too deeply)/);
  const big = join(work, 'big.yaml');
  writeFileSync(big, `global:\n  x: "${'x'.repeat(5 * 1024 * 1024)}"\n`);
  assert.throws(() => resolveValues({ valuesFiles: [big] }), /big\.yaml: the values file is \d+ bytes; at most 4194304 bytes are read/);
});

test('FIFOs, devices and directories are refused at once (validate does not hang)', () => {
  const fifo = join(work, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const zero = join(work, 'zero.yaml');
  symlinkSync('/dev/zero', zero);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'creg-chart.js'), 'validate', '-f', fifo, '-f', zero, '-f', work], { encoding: 'utf8', timeout: 20000 });
  assert.is(r.error, undefined, 'it returned');
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /fifo\.yaml: cannot read the values file: it is a FIFO \(named pipe\); give a regular file/);
  assert.match(r.stderr, /zero\.yaml: cannot read the values file: it is a device; give a regular file/);
  assert.match(r.stderr, /: cannot read the values file: it is a directory/);
  assert.ok(Date.now() - started < 15000);
});

test.run();
