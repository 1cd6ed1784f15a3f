// The start-up shortcuts of issue 15 must not change what the CLI does:
// - the precomputed help (dist/help.json) prints exactly what yargs prints;
// - src/fast-args.ts parses exactly as yargs parses every vector it accepts,
//   and hands everything else to yargs;
// - the CLI run from V8's code cache (dist/creg-chart.cjs, src/code-cache.ts)
//   does what the ES module bundle does, and a cache is used only with the
//   file it was made from;
// - helm's version is asked once per binary (path, size, mtime) and again
//   when the binary changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { ROOT, tempDir } from './helpers/chart.mjs';
import { parseFast } from '../dist/fast-args.js';
import { findHelm, helmVersionCacheFile } from '../dist/helm/helm.js';
import { codeIdLine, makeCodeCache, runCommonJs } from '../dist/code-cache.js';

const cli = join(ROOT, 'bin', 'creg-chart.js');
const work = tempDir('creg-fast-path-test-');
test.after(() => rmSync(work, { recursive: true, force: true }));

function creg(args, env = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('precomputed help and version: byte for byte what yargs prints, for every command', () => {
  const help = JSON.parse(readFileSync(join(ROOT, 'dist', 'help.json'), 'utf8'));
  const cliSource = readFileSync(join(ROOT, 'src', 'cli.ts'), 'utf8');
  const registered = [...cliSource.matchAll(/\.command\((\w+) as never\)/g)].map((m) => m[1]);
  assert.is(registered.length, 7);
  for (const c of registered) assert.ok(help.texts[`${c}\0--help`], `no precomputed help for ${c}`);
  const vectors = Object.keys(help.texts).map((k) => k.split('\0'));
  assert.is(vectors.length, 3 + 2 * registered.length);
  for (const args of vectors) {
    const fast = creg(args);
    const slow = creg(args, { CREG_CHART_NO_FAST_PATH: '1' });
    assert.is(fast.code, 0);
    assert.is(slow.code, 0);
    assert.is(fast.out, slow.out, `creg-chart ${args.join(' ')}`);
    assert.is(fast.err, '');
  }
  assert.match(creg(['--version']).out, /^\d+\.\d+\.\d+\n$/);
});

test('precomputed help is used only with the bundle it was captured from', () => {
  const dir = join(work, 'stale');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'creg-chart.js'), readFileSync(cli));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'dist', 'creg-chart.js'), '// creg-chart bundle abc123\nconsole.log("the long way");\n');
  const run = (args) => spawnSync(process.execPath, [join(dir, 'bin', 'creg-chart.js'), ...args], { encoding: 'utf8' }).stdout;
  writeFileSync(join(dir, 'dist', 'help.json'), JSON.stringify({ bundleId: 'abc123', texts: { '--help': 'precomputed\n' } }));
  assert.is(run(['--help']), 'precomputed\n');
  assert.is(run(['-h']), 'the long way\n', 'a vector without a text');
  assert.is(run(['build']), 'the long way\n');
  writeFileSync(join(dir, 'dist', 'help.json'), JSON.stringify({ bundleId: 'abc124', texts: { '--help': 'precomputed\n' } }));
  assert.is(run(['--help']), 'the long way\n', 'another bundle');
  writeFileSync(join(dir, 'dist', 'help.json'), '{');
  assert.is(run(['--help']), 'the long way\n', 'a broken file');
});

test('code cache: the compiled CLI and validator start from their caches, and do what the ES module bundle does', () => {
  // Made by npm run compile with this Node.js: V8 takes them (a Node.js upgrade would only cost the speed).
  assert.ok(runCommonJs(join(ROOT, 'dist', 'values', 'schema-validator.cjs')).fromCache, 'the validator cache was refused');
  for (const args of [['validate'], ['validate', '--set', 'registry.port=0'], ['validate', '--bogus'], ['template', '--show-only', 'templates/registry-service.yaml']]) {
    const cached = creg(args);
    const esm = creg(args, { CREG_CHART_NO_CODE_CACHE: '1' });
    assert.is(cached.code, esm.code, args.join(' '));
    assert.is(cached.out, esm.out, args.join(' '));
    assert.is(cached.err, esm.err, args.join(' '));
  }
  assert.is(creg(['validate', '--set', 'registry.port=0']).code, 1);
});

test('code cache: used only with the file it was made from; without one the file is compiled', () => {
  const dir = join(work, 'code-cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'answer.cjs');
  writeFileSync(file, `${codeIdLine('aaaaaaaaaaaaaaaa')}module.exports = () => 42;\n`);
  const plain = runCommonJs(file);
  assert.is(plain.exports(), 42);
  assert.not.ok(plain.fromCache, 'no cache yet');
  makeCodeCache(file, (f) => f());
  assert.ok(runCommonJs(file).fromCache);
  // The same length (V8's own check) and another id: the cache must not be taken.
  writeFileSync(file, `${codeIdLine('bbbbbbbbbbbbbbbb')}module.exports = () => 43;\n`);
  const changed = runCommonJs(file);
  assert.is(changed.exports(), 43);
  assert.not.ok(changed.fromCache);
  assert.is(runCommonJs(join(dir, 'missing.cjs')), undefined);
});

/** What yargs hands the command's handler, for the keys the handler reads. */
async function yargsArgs(mod, args) {
  let seen;
  let failed;
  await yargs(args)
    .command({ command: mod.command, describe: mod.describe, builder: mod.builder, handler: (a) => { seen = a; } })
    .strict()
    .fail((msg, err) => { failed = msg ?? err?.message; })
    .exitProcess(false)
    .parseAsync();
  if (failed) return { failed };
  const out = {};
  for (const [name, spec] of Object.entries(mod.options)) {
    for (const key of [name, name.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), spec.alias].filter(Boolean)) out[key] = seen[key];
  }
  return out;
}

function pick(parsed, mod) {
  const out = {};
  for (const [name, spec] of Object.entries(mod.options)) {
    for (const key of [name, name.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), spec.alias].filter(Boolean)) out[key] = parsed[key];
  }
  return out;
}

test('fast argument parsing gives what yargs gives, or leaves the vector to yargs', async () => {
  const mods = {
    build: await import('../dist/commands/build.js'),
    validate: await import('../dist/commands/validate.js'),
    template: await import('../dist/commands/template.js'),
  };
  const accepted = [
    ['build'],
    ['build', '--output-dir', 'o'],
    ['build', '--output-dir=o', '--chart-name', 'reg', '--chart-version', '1.2.3-rc.1'],
    ['build', '-f', 'a.yaml', '-f', 'b.yaml', '--values', 'c.yaml', '--values=d.yaml'],
    ['build', '--set', 'a=1,b=2', '--set', 'x.y=true', '--set-string', 'z=007', '--set=q=r=s'],
    ['build', '--set', 'registry.port=5000', '--output-dir', '5', '--chart-name', 'true'],
    ['build', '--set', 'nas.path=/a b', '--output-dir', 'dir with spaces'],
    ['validate', '-f', 'base.yaml', '--cluster-dir', 'clusters', '--cluster', 'x.yaml', '--cluster-dir', 'more'],
    ['validate', '--cluster=x.yaml'],
    ['template', '-f', 'base.yaml', '--cluster', 'a.yaml', '-n', 'registry', '--release-name', 'eyoh', '--chart', 'out/creg-0.1.0.tgz'],
    ['template', '--namespace=ns', '--output-dir', 'rendered'],
  ];
  for (const args of accepted) {
    const mod = mods[args[0]];
    const fast = parseFast(args[0], args.slice(1), mod.options);
    assert.ok(fast, `not accepted: ${args.join(' ')}`);
    assert.equal(pick(fast, mod), await yargsArgs(mod, args), args.join(' '));
  }
  const leftToYargs = [
    ['build', '--help'],
    ['build', '-h'],
    ['build', '--version'],
    ['build', '--output', 'x'],
    ['build', 'extra'],
    ['build', '--output-dir', 'a', '--output-dir', 'b'],
    ['build', '--output-dir'],
    ['build', '--output-dir', '-x'],
    ['build', '--output-dir='],
    ['build', '-f', 'a.yaml', 'b.yaml'],
    ['build', '-fa.yaml'],
    ['build', '-f=a.yaml'],
    ['build', '--outputDir', 'x'],
    ['build', '--no-values'],
    ['build', '--', 'x'],
    ['validate', '--set.a', '1'],
    ['template', '-n', 'a', '-n', 'b'],
  ];
  for (const args of leftToYargs) assert.is(parseFast(args[0], args.slice(1), mods[args[0]].options), undefined, args.join(' '));
});

test('the CLI behaves the same through the fast path and through yargs (output, exit codes)', () => {
  const vectors = [
    ['validate', '--set', 'registry.port=0'],
    ['validate', '-f', join(ROOT, 'test', 'fixtures', 'values', 'goodone.yaml')],
    ['validate', '-f', 'missing.yaml'],
    ['build', '--chart-version', 'v1', '--output-dir', 'never'],
    ['build', '--output', 'x'],
  ];
  for (const args of vectors) {
    const fast = creg(args);
    const slow = creg(args, { CREG_CHART_NO_FAST_PATH: '1' });
    assert.equal(fast, slow, args.join(' '));
  }
});

test("helm's version is cached by path, size and mtime; a changed binary is asked again", async () => {
  const saved = { HELM_BIN: process.env.HELM_BIN, CREG_CHART_CACHE_DIR: process.env.CREG_CHART_CACHE_DIR };
  try {
    const counter = join(work, 'calls');
    const fake = join(work, 'helm');
    writeFileSync(counter, '');
    writeFileSync(fake, `#!/bin/sh\necho x >> ${counter}\necho v3.15.0\n`);
    chmodSync(fake, 0o755);
    process.env.HELM_BIN = fake;
    process.env.CREG_CHART_CACHE_DIR = join(work, 'cache');
    const calls = () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
    assert.is((await findHelm()).version, 'v3.15.0');
    assert.is(calls(), 1);
    assert.is((await findHelm()).version, 'v3.15.0');
    assert.is(calls(), 1, 'the second search asks no helm process');
    assert.is(helmVersionCacheFile(), join(work, 'cache', 'helm-versions.json'));
    // Upgraded in place: another size.
    writeFileSync(fake, `#!/bin/sh\necho x >> ${counter}\necho v3.16.10\n`);
    assert.is((await findHelm()).version, 'v3.16.10');
    assert.is(calls(), 2);
    // Same size, new mtime.
    writeFileSync(fake, `#!/bin/sh\necho x >> ${counter}\necho v3.16.11\n`);
    utimesSync(fake, new Date(), new Date(Date.now() + 5000));
    assert.is((await findHelm()).version, 'v3.16.11');
    assert.is(calls(), 3);
    // A cache that cannot be written or read is ignored.
    writeFileSync(join(work, 'cache-file'), 'not a folder');
    process.env.CREG_CHART_CACHE_DIR = join(work, 'cache-file');
    assert.is((await findHelm()).version, 'v3.16.11');
    assert.is((await findHelm()).version, 'v3.16.11');
    assert.is(calls(), 5);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

test('validate --cluster-dir: a worker thread sharing the fleet changes nothing in the report or the exit code', () => {
  const dir = join(work, 'fleet');
  mkdirSync(join(dir, 'clusters'), { recursive: true });
  writeFileSync(join(dir, 'base.yaml'), 'registry:\n  kind: Deployment\n');
  for (let i = 1; i <= 150; i++) {
    const bad = i === 3 ? 'registry:\n  replicas: two\n' : i === 140 ? 'servce:\n  name: x\n' : i === 141 ? 'nas: [\n' : '';
    writeFileSync(join(dir, 'clusters', `c${String(i).padStart(3, '0')}.yaml`), `nas:\n  server: 10.0.${i}.2\n${bad}`);
  }
  const args = ['validate', '-f', join(dir, 'base.yaml'), '--cluster-dir', join(dir, 'clusters')];
  const one = creg(args, { CREG_CHART_FLEET_WORKER: 'never' });
  const two = creg(args, { CREG_CHART_FLEET_WORKER: 'always' });
  assert.is(one.code, 1, one.err);
  assert.equal(two, one);
  assert.match(one.out, /FAIL +\S+c003\.yaml: 1 problem/);
  assert.match(one.out, /FAIL +\S+c140\.yaml: 1 problem\(s\)\n +- \S+c140\.yaml:\d+: servce: unknown key; did you mean "service"\?/);
  assert.match(one.out, /FAIL +\S+c141\.yaml: 1 problem\(s\)\n +- \S+c141\.yaml:\d+:1: not valid YAML/);
  assert.is(one.out.split('\n').filter((l) => /^ {2}ok {4}/.test(l)).length, 147);
  assert.match(one.err, /^Error: 3 of 150 cluster file\(s\) are not valid/);
  // A shared -f file that cannot be read is one error, on both paths.
  const missing = ['validate', '-f', join(dir, 'nope.yaml'), '--cluster-dir', join(dir, 'clusters')];
  const m1 = creg(missing, { CREG_CHART_FLEET_WORKER: 'never' });
  assert.equal(creg(missing, { CREG_CHART_FLEET_WORKER: 'always' }), m1);
  assert.is(m1.code, 1);
  assert.match(m1.err, /nope\.yaml: cannot read the values file/);
});

test.run();
