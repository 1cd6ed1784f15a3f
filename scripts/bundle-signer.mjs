// Bundles src/signer/main.ts into one CommonJS file, dist/signer/signer.js, for the chart's ConfigMap.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'signer');
const outfile = join(outDir, 'signer.js');
const LIMIT = 900 * 1024; // a ConfigMap holds at most 1 MiB in total

mkdirSync(outDir, { recursive: true });
const started = Date.now();
try {
  await build({
    entryPoints: [join(root, 'src', 'signer', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    legalComments: 'eof',
    banner: { js: '// creg-chart signer (bundled; source: src/signer/main.ts). Licenses of bundled code at the end.' },
    logLevel: 'warning',
  });
} catch (e) {
  console.error(`bundle-signer: esbuild failed: ${e.message}`);
  process.exit(1);
}
writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
const size = statSync(outfile).size;
if (size > LIMIT) {
  console.error(`bundle-signer: ${outfile} is ${(size / 1024).toFixed(1)} KiB, over the ${LIMIT / 1024} KiB limit (ConfigMaps hold at most 1 MiB). Remove heavy imports from src/signer.`);
  process.exit(1);
}
console.log(`bundle-signer: wrote ${outfile} (${(size / 1024).toFixed(1)} KiB) in ${Date.now() - started} ms`);
