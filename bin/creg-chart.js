#!/usr/bin/env node
// `--help`, `-h`, `<command> --help` and `--version` print the text that
// scripts/bundle-cli.mjs captured from the CLI's yargs at compile time
// (dist/help.json), while it belongs to the bundle on disk (the id in the
// bundle's first line), without loading anything else. Every other command line runs the
// bundled CLI (src/main.ts): dist/creg-chart.cjs from V8's code cache (src/code-cache.ts),
// else the ES module bundle dist/creg-chart.js. CREG_CHART_NO_FAST_PATH=1 always
// takes the long way, and CREG_CHART_NO_CODE_CACHE=1 the ES module bundle (tests compare them).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
let text;
const dist = new URL('../dist/', import.meta.url);
if (args.length > 0 && args.length <= 2 && !process.env.CREG_CHART_NO_FAST_PATH && args.some((a) => a === '--help' || a === '-h' || a === '--version')) {
  try {
    const help = JSON.parse(readFileSync(new URL('help.json', dist), 'utf8'));
    const firstLine = readFileSync(new URL('creg-chart.js', dist), 'utf8').slice(0, 80);
    if (typeof help.bundleId === 'string' && firstLine.startsWith(`// creg-chart bundle ${help.bundleId}\n`)) text = help.texts[args.join('\0')];
  } catch {
    // no precomputed help: yargs prints it
  }
}
if (typeof text === 'string') process.stdout.write(text);
else {
  let codeCache;
  try {
    if (!process.env.CREG_CHART_NO_CODE_CACHE) codeCache = await import(new URL('code-cache.js', dist).href);
  } catch {
    // not compiled: the ES module bundle
  }
  // CREG_CHART_MAKE_CODE_CACHE=1 (scripts/bundle-cli.mjs): write the cache after this command.
  if (!codeCache?.runCommonJs(fileURLToPath(new URL('creg-chart.cjs', dist)), { cacheOnExit: process.env.CREG_CHART_MAKE_CODE_CACHE === '1' })) await import('../dist/creg-chart.js');
}
