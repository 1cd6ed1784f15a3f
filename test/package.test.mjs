// The .tgz `creg-chart build` writes in-process (src/build/package.ts) against
// what the real `helm package` writes from the same chart folder, Helm 3 and
// Helm 4: the same entries in the same order with the same modes, owners and
// types, the same bytes for every file but Chart.yaml (Helm stores its own
// re-serialisation; the parsed fields must be equal), the same gzip header
// fields, `helm show chart`, `helm show values` and `helm template` equal,
// and `helm lint --strict` passes on the archive. Then: reproducible bytes,
// the charts it refuses (the build then runs helm package), and the lint-check
// seam of the pipeline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { HELMS, buildChart, runHelm, tempDir } from './helpers/chart.mjs';
import { packChart, archiveMtime, DEFAULT_MTIME } from '../dist/build/package.js';

const work = tempDir('creg-package-test-');
test.after(() => rmSync(work, { recursive: true, force: true }));

/** Every tar entry with its raw 512-byte header and body. */
function tarEntries(tgz) {
  const tar = gunzipSync(tgz);
  const out = [];
  let off = 0;
  for (; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (a, b) => h.subarray(a, b).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 136), 8);
    out.push({
      name: field(0, 100),
      mode: field(100, 108),
      uid: field(108, 116),
      gid: field(116, 124),
      type: field(156, 157),
      magic: h.subarray(257, 265).toString('latin1'),
      uname: field(265, 297),
      gname: field(297, 329),
      prefix: field(345, 500),
      header: Buffer.from(h),
      body: Buffer.from(tar.subarray(off + 512, off + 512 + size)),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return { entries: out, trailer: tar.subarray(off), length: tar.length };
}

/** gzip header fields (RFC 1952) up to the compressed data. */
function gzipHeader(buf) {
  assert.is(buf[0], 0x1f);
  assert.is(buf[1], 0x8b);
  const flags = buf[3];
  let i = 10;
  let extra = null;
  let comment = null;
  let name = null;
  if (flags & 4) { const len = buf.readUInt16LE(i); extra = buf.subarray(i + 2, i + 2 + len).toString('latin1'); i += 2 + len; }
  if (flags & 8) { const end = buf.indexOf(0, i); name = buf.subarray(i, end).toString('latin1'); i = end + 1; }
  if (flags & 16) { const end = buf.indexOf(0, i); comment = buf.subarray(i, end).toString('latin1'); i = end + 1; }
  return { method: buf[2], flags, mtime: buf.readUInt32LE(4), xfl: buf[8], os: buf[9], extra, name, comment };
}

for (const h of HELMS) {
  test(`${h.label}: the in-process .tgz equals helm package's (entries, modes, bytes, show, template, lint)`, async () => {
    const out = join(work, h.label);
    const built = await buildChart({ outputDir: out, valuesFiles: [join(import.meta.dirname, 'fixtures', 'values', 'goodone.yaml')], set: ['registry.replicas=2'], helm: { bin: h.bin, version: h.version, run: runAsync(h.bin) } });
    const ours = readFileSync(built.tgzPath);
    const pkgDir = join(out, 'helm-package');
    const r = runHelm(h.bin, ['package', built.chartDir, '--destination', pkgDir]);
    assert.is(r.status, 0, r.stderr);
    const theirsPath = join(pkgDir, readdirSync(pkgDir)[0]);
    const theirs = readFileSync(theirsPath);

    const a = gzipHeader(ours);
    const b = gzipHeader(theirs);
    assert.equal({ ...a, mtime: 0 }, { ...b, mtime: 0 }, 'gzip header fields');
    assert.is(a.comment, 'Helm');

    const ta = tarEntries(ours);
    const tb = tarEntries(theirs);
    assert.equal(ta.entries.map((e) => e.name), tb.entries.map((e) => e.name), 'same files in the same order');
    assert.ok(ta.entries.length > 15, `${ta.entries.length} entries`);
    for (const [i, e] of ta.entries.entries()) {
      const f = tb.entries[i];
      for (const k of ['mode', 'uid', 'gid', 'type', 'magic', 'uname', 'gname', 'prefix']) assert.is(e[k], f[k], `${e.name}: ${k}`);
      if (e.name.endsWith('/Chart.yaml')) {
        assert.equal(parse(e.body.toString()), parse(f.body.toString()), 'Chart.yaml: the same fields');
      } else {
        assert.ok(e.body.equals(f.body), `${e.name}: the same bytes`);
        // Header bytes equal but for the mtime (helm: time of packaging) and so the checksum.
        const ha = Buffer.from(e.header); const hb = Buffer.from(f.header);
        ha.fill(0, 136, 156); hb.fill(0, 136, 156);
        assert.ok(ha.equals(hb), `${e.name}: header bytes`);
      }
    }
    assert.is(ta.trailer.length, 1024, 'two zero blocks end the archive');
    assert.ok(ta.trailer.every((x) => x === 0));
    assert.is(ta.length % 512, 0);

    for (const what of ['chart', 'values']) {
      const x = runHelm(h.bin, ['show', what, built.tgzPath]);
      const y = runHelm(h.bin, ['show', what, theirsPath]);
      assert.is(x.status, 0, x.stderr);
      assert.is(x.stdout, y.stdout, `helm show ${what}`);
    }
    const ta2 = runHelm(h.bin, ['template', 'eyoh', built.tgzPath, '-n', 'registry', '--set', 'service.clusterIP=10.96.0.50']);
    const tb2 = runHelm(h.bin, ['template', 'eyoh', theirsPath, '-n', 'registry', '--set', 'service.clusterIP=10.96.0.50']);
    assert.is(ta2.status, 0, ta2.stderr);
    assert.ok(ta2.stdout.length > 10000);
    // The HTTP secret is random per render (randAlphaNum) unless set.
    const norm = (s) => s.replace(/REGISTRY_HTTP_SECRET: ".*"/g, 'REGISTRY_HTTP_SECRET: "random"');
    assert.is(norm(ta2.stdout), norm(tb2.stdout), 'helm template');
    const lint = runHelm(h.bin, ['lint', '--strict', built.tgzPath]);
    assert.is(lint.status, 0, lint.stdout + lint.stderr);
  });
}

/** The Helm object the pipeline expects, for one binary. */
function runAsync(bin) {
  return (args) => Promise.resolve(runHelm(bin, args)).then((r) => ({ code: r.status, stdout: r.stdout, stderr: r.stderr }));
}

test('the archive is reproducible: same input, same bytes; SOURCE_DATE_EPOCH sets the mtime', async () => {
  const chartDir = join(work, 'helm4', 'creg');
  const one = await packChart({ chartDir, chartName: 'creg' });
  const two = await packChart({ chartDir, chartName: 'creg' });
  assert.ok(one.tgz.equals(two.tgz));
  const { entries } = tarEntries(one.tgz);
  assert.is(parseInt(entries[0].header.subarray(136, 148).toString('latin1'), 8), DEFAULT_MTIME);
  assert.is(archiveMtime({ SOURCE_DATE_EPOCH: '1700000000' }), 1700000000);
  assert.is(archiveMtime({ SOURCE_DATE_EPOCH: 'yesterday' }), DEFAULT_MTIME);
  const later = await packChart({ chartDir, chartName: 'creg', mtime: 1700000000 });
  assert.is(parseInt(tarEntries(later.tgz).entries[5].header.subarray(136, 148).toString('latin1'), 8), 1700000000);
});

test('charts the packer does not model are refused with a reason (the build then runs helm package)', async () => {
  const src = join(work, 'helm4', 'creg');
  const copy = (name) => {
    const dir = join(work, 'refuse', name);
    cpSync(src, dir, { recursive: true });
    return dir;
  };
  const cases = [
    ['subchart', (d) => { mkdirSync(join(d, 'charts', 'sub'), { recursive: true }); writeFileSync(join(d, 'charts', 'sub', 'Chart.yaml'), 'apiVersion: v2\nname: sub\nversion: 1.0.0\n'); }, /subcharts/],
    ['lock', (d) => writeFileSync(join(d, 'Chart.lock'), 'dependencies: []\n'), /Chart\.lock/],
    ['ignored', (d) => writeFileSync(join(d, 'files', 'notes.bak'), 'x'), /files\/notes\.bak matches the \.helmignore rule "\*\.bak"/],
    ['ignored-dir', (d) => { mkdirSync(join(d, 'files', '.git')); writeFileSync(join(d, 'files', '.git', 'HEAD'), 'x'); }, /\.helmignore rule "\.git\/"/],
    ['hidden-template', (d) => writeFileSync(join(d, 'templates', '.draft.yaml'), 'x: 1\n'), /hidden files under templates/],
    ['negation', (d) => writeFileSync(join(d, '.helmignore'), '*.log\n!keep.log\n'), /\.helmignore rule "!keep\.log"/],
    ['bom', (d) => writeFileSync(join(d, 'templates', 'bom.yaml'), '\ufeffa: 1\n'), /byte-order mark/],
  ];
  for (const [name, change, reason] of cases) {
    const dir = copy(name);
    change(dir);
    const r = await packChart({ chartDir: dir, chartName: 'creg' });
    assert.ok('refused' in r, `${name}: not refused`);
    assert.match(r.refused ?? '', reason, `${name}: ${r.refused}`);
  }
  const long = copy('long');
  writeFileSync(join(long, 'files', `${'x'.repeat(95)}.txt`), 'x');
  assert.match((await packChart({ chartDir: long, chartName: 'creg' })).refused, /USTAR/);
  // And a chart it models is not refused after the same copy.
  assert.ok('tgz' in (await packChart({ chartDir: copy('plain'), chartName: 'creg' })));
});

test('lint checks ride on helm lint: a failing one stops the build with its own sentence; none is packaged or left behind', async () => {
  const helm = HELMS[0];
  const h = { bin: helm.bin, version: helm.version, run: runAsync(helm.bin) };
  const fires = {
    file: 'templates/zz-test-check.yaml',
    content: (values) => `{{- if ne (toJson .Values.registry.port) "${values.registry.port + 1}" }}{{ include (printf "zz-check-fired:%v:" .Values.registry.port) . }}{{ end -}}\n`,
    explain: (output) => (/zz-check-fired:(\d+):/.test(output) ? `The test check fired: Helm read registry.port as ${/zz-check-fired:(\d+):/.exec(output)[1]}.` : undefined),
  };
  const out = join(work, 'checks');
  const err = await buildChart({ outputDir: out, helm: h, lintChecks: [fires] }).then(() => undefined, (e) => e);
  assert.ok(err, 'the build should fail');
  assert.is(err.message, `The test check fired: Helm read registry.port as 5000. Nothing was written to ${out}.`);
  assert.not.ok(existsSync(join(out, 'creg')));
  assert.not.ok(existsSync(out), 'no staging left behind, and no folder the failed build made');

  const passes = { ...fires, content: () => '{{- if ne (toJson .Values.registry.port) "5000" }}{{ include "missing" . }}{{ end -}}\n' };
  const built = await buildChart({ outputDir: out, helm: h, lintChecks: [passes] });
  assert.not.ok(existsSync(join(built.chartDir, passes.file)), 'not left in the chart folder');
  assert.not.ok(tarEntries(readFileSync(built.tgzPath)).entries.some((e) => e.name.includes('zz-test-check')), 'not in the .tgz');
});

test.run();
