// Bundles the CLI (src/main.ts and what it imports, node_modules included) into
// dist/creg-chart.js plus lazily loaded chunks beside it, minified. Loading
// yargs, yaml, handlebars and ajv's runtime from hundreds of small files is
// most of the start-up time of `creg-chart --help`; one bundle loads faster
// (npm run bench measures it). The chunks sit directly in dist/, like
// dist/paths.js, so src/paths.ts finds the package root the same way.
//
// Then the same CLI once more as one CommonJS script, dist/creg-chart.cjs,
// with V8's code cache for it, dist/creg-chart.cjs.v8cache: Node 20 has no
// compile cache for ES modules, but a vm.Script starts from cached bytecode,
// so bin/creg-chart.js runs the CLI without parsing or compiling its
// top level (about 25 ms of a build's start-up; npm run bench measures it).
// The cache begins with the bundle id, so a stale one is never used; V8
// itself refuses one made by another Node.js or with other flags (the CLI
// then compiles as usual).
//
// Then it captures what the bundle's yargs prints for `--help`, `-h`,
// `<command> --help`, `<command> -h` and `--version` into dist/help.json,
// keyed to this bundle by a random id written in the bundle's first line:
// bin/creg-chart.js prints those texts without loading yargs while the ids
// match (mtimes would not do: npm sets every file's mtime when it packs).
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
const bundle = join(outdir, 'creg-chart.js');
const helpFile = join(outdir, 'help.json');
const cjsBundle = join(outdir, 'creg-chart.cjs');
rmSync(helpFile, { force: true });
for (const f of readdirSync(outdir)) if (f.startsWith('cli-chunk-') || f === 'creg-chart.js' || f === 'creg-chart.cjs' || f === 'creg-chart.cjs.v8cache' || f === 'fleet-worker.js') rmSync(join(outdir, f));
const started = Date.now();
const bundleId = randomBytes(12).toString('hex');
try {
  await build({
    // fleet-worker: the worker thread of `validate --cluster-dir` (src/values/clusters.ts finds it beside its chunk).
    entryPoints: { 'creg-chart': join(root, 'src', 'main.ts'), 'fleet-worker': join(root, 'src', 'values', 'fleet-worker.ts') },
    outdir,
    chunkNames: 'cli-chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    // CommonJS dependencies (handlebars) call require(); ESM has none.
    // First line: the id dist/help.json is keyed to (bin/creg-chart.js reads it).
    banner: { js: `// creg-chart bundle ${bundleId}\nimport { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);` },
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(root, 'src', 'main.ts')],
    outfile: cjsBundle,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    // import() of a bundled module becomes a lazy initialiser; of a built-in, require().
    supported: { 'dynamic-import': false },
    // The file URL the ES module bundle would see: the CommonJS one sits beside it in dist/.
    define: { 'import.meta.url': '__cregImportMetaUrl' },
    banner: { js: `// creg-chart code ${bundleId}\nconst __cregImportMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    logLevel: 'warning',
  });
} catch (e) {
  console.error(`bundle-cli: esbuild failed: ${e.message}`);
  process.exit(1);
}
// The cache is written after a real `build` (into a temporary folder, with
// the helm npm install unpacked): V8 compiles most functions on their first
// call, so a cache made after a command holds what a build runs. Without a
// working helm, after `validate`; failing that, the top level only.
const { makeCodeCache } = await import('../dist/code-cache.js');
const scratch = mkdtempSync(join(tmpdir(), 'creg-code-cache-'));
try {
  const env = { ...process.env, CREG_CHART_MAKE_CODE_CACHE: '1' };
  delete env.CREG_CHART_NO_CODE_CACHE;
  const made = [['build', '--output-dir', join(scratch, 'out')], ['validate']].some((args) =>
    spawnSync(process.execPath, [join(root, 'bin', 'creg-chart.js'), ...args], { cwd: scratch, env, stdio: 'ignore' }).status === 0);
  if (!made) makeCodeCache(cjsBundle);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// The commands as src/cli.ts registers them (test/fast-args.test.mjs checks the list).
const commands = ['build', 'validate', 'init', 'cert', 'template', 'publish', 'trust'];
const vectors = [['--help'], ['-h'], ['--version'], ...commands.flatMap((c) => [[c, '--help'], [c, '-h']])];
const run = promisify(execFile);
const texts = {};
// Two at a time: the machine may be busy.
for (let i = 0; i < vectors.length; i += 2) {
  await Promise.all(vectors.slice(i, i + 2).map(async (args) => {
    const { stdout, stderr } = await run(process.execPath, [bundle, ...args], { cwd: root, env: { ...process.env, CREG_CHART_NO_FAST_PATH: '1' } }).catch((e) => {
      console.error(`bundle-cli: \`creg-chart ${args.join(' ')}\` failed: ${e.message}`);
      process.exit(1);
    });
    if (stderr !== '') {
      console.error(`bundle-cli: \`creg-chart ${args.join(' ')}\` wrote to stderr: ${stderr}`);
      process.exit(1);
    }
    texts[args.join('\0')] = stdout;
  }));
}
writeFileSync(helpFile, JSON.stringify({ bundleId, texts }));
console.log(`bundle-cli: wrote ${bundle} and ${vectors.length} help texts in ${Date.now() - started} ms`);
