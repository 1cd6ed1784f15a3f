// Bundles the CLI (src/cli.ts and what it imports, node_modules included) into
// dist/creg-chart.js plus lazily loaded chunks beside it, minified. Loading
// yargs, yaml, handlebars and ajv's runtime from hundreds of small files is
// most of the start-up time of `creg-chart --help`; one bundle loads faster
// (npm run bench measures it). The chunks sit directly in dist/, like
// dist/paths.js, so src/paths.ts finds the package root the same way.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
for (const f of readdirSync(outdir)) if (f.startsWith('cli-chunk-') || f === 'creg-chart.js') rmSync(join(outdir, f));
const started = Date.now();
try {
  await build({
    entryPoints: { 'creg-chart': join(root, 'src', 'cli.ts') },
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
    banner: { js: "import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);" },
    logLevel: 'warning',
  });
} catch (e) {
  console.error(`bundle-cli: esbuild failed: ${e.message}`);
  process.exit(1);
}
console.log(`bundle-cli: wrote ${join(outdir, 'creg-chart.js')} in ${Date.now() - started} ms`);
