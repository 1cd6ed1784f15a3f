// Bundles src/signer/main.ts into one CommonJS file, dist/signer/signer.js, for the chart's ConfigMap.
// Not minified, so a reviewer can read what runs in the cluster (node-forge is
// most of it); deterministic, so the same source and lockfile give the same
// bytes: the chart's Chart.yaml carries its sha256 (creg-chart/signer-sha256),
// and `npm ci && npm run compile` in a checkout of the same creg-chart version
// recomputes it (chart README, "The signer program").
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
    minify: false,
    legalComments: 'eof',
    banner: { js: '// creg-chart signer, bundled by scripts/bundle-signer.mjs from src/signer/main.ts (node-forge included, not minified).' },
    logLevel: 'warning',
    absWorkingDir: root, // the path comments in the bundle do not depend on the caller's folder
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
