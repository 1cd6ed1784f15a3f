#!/usr/bin/env node
// `--help`, `-h`, `<command> --help` and `--version` print the text that
// scripts/bundle-cli.mjs captured from the CLI's yargs at compile time
// (dist/help.json), while it belongs to the bundle on disk (the id in the
// bundle's first line), without loading anything else. Every other command line runs the
// bundled CLI (dist/creg-chart.js, from src/main.ts). CREG_CHART_NO_FAST_PATH=1
// always takes the long way (tests compare both).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let text;
if (args.length > 0 && args.length <= 2 && !process.env.CREG_CHART_NO_FAST_PATH && args.some((a) => a === '--help' || a === '-h' || a === '--version')) {
  try {
    const dist = new URL('../dist/', import.meta.url);
    const help = JSON.parse(readFileSync(new URL('help.json', dist), 'utf8'));
    const firstLine = readFileSync(new URL('creg-chart.js', dist), 'utf8').slice(0, 80);
    if (typeof help.bundleId === 'string' && firstLine.startsWith(`// creg-chart bundle ${help.bundleId}\n`)) text = help.texts[args.join('\0')];
  } catch {
    // no precomputed help: yargs prints it
  }
}
if (typeof text === 'string') process.stdout.write(text);
else await import('../dist/creg-chart.js');
