// npm run bench: creg-chart's own cost, as ratios against the real helm on
// the same chart. Median of several runs, wall time, one process at a time.
//   build ratio = `creg-chart build` / (`helm lint --strict` + `helm package`)   target <= 1.5
//   help time   = `creg-chart --help`                                           target <= 150 ms
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHelm } from '../dist/helm/helm.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'creg-chart.js');
const runs = Number(process.env.BENCH_RUNS ?? 9);
const helm = await findHelm();
const work = mkdtempSync(join(tmpdir(), 'creg-bench-'));

function timed(cmd, args, env = process.env) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stdout}${res.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

try {
  const outDir = join(work, 'out');
  timed(process.execPath, [cli, 'build', '--output-dir', outDir]); // warm the file cache
  const chartDir = join(outDir, 'creg');
  const build = [];
  const helmOnly = [];
  const help = [];
  const helmHelp = [];
  const nodeBare = [];
  // NODE_EXTRA_CA_CERTS makes every Node.js process parse that bundle at start
  // (set on some machines, this one included): measured both ways.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const noExtraCa = { ...process.env };
  delete noExtraCa.NODE_EXTRA_CA_CERTS;
  const buildNoCa = [];
  const helpNoCa = [];
  const nodeBareNoCa = [];
  for (let i = 0; i < runs; i++) {
    nodeBare.push(timed(process.execPath, ['-e', '0']));
    build.push(timed(process.execPath, [cli, 'build', '--output-dir', outDir]));
    helmOnly.push(timed(helm.bin, ['lint', '--strict', chartDir]) + timed(helm.bin, ['package', chartDir, '--destination', join(work, 'pkg')]));
    help.push(timed(process.execPath, [cli, '--help']));
    helmHelp.push(timed(helm.bin, ['--help']));
    if (extraCa) {
      buildNoCa.push(timed(process.execPath, [cli, 'build', '--output-dir', outDir], noExtraCa));
      helpNoCa.push(timed(process.execPath, [cli, '--help'], noExtraCa));
      nodeBareNoCa.push(timed(process.execPath, ['-e', '0'], noExtraCa));
    }
  }
  const ratio = median(build) / median(helmOnly);
  const helpMs = median(help);
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log(`helm ${helm.version} (${helm.bin}), ${runs} runs each, medians; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (wall times need an idle machine)`);
  console.log(`  creg-chart build               ${fmt(median(build))}`);
  console.log(`  helm lint --strict + package   ${fmt(median(helmOnly))}`);
  console.log(`  build ratio                    ${ratio.toFixed(2)}   (target <= 1.5: ${verdict(ratio <= 1.5)})`);
  console.log(`  creg-chart --help              ${fmt(helpMs)}   (target <= 150 ms: ${verdict(helpMs <= 150)}; helm --help: ${fmt(median(helmHelp))})`);
  console.log(`  node -e 0 (Node.js start alone) ${fmt(median(nodeBare))}`);
  if (extraCa) {
    const r2 = median(buildNoCa) / median(helmOnly);
    const h2 = median(helpNoCa);
    console.log(`without NODE_EXTRA_CA_CERTS=${extraCa} (set here; every Node.js start parses it):`);
    console.log(`  creg-chart build               ${fmt(median(buildNoCa))}   build ratio ${r2.toFixed(2)}   (target <= 1.5: ${verdict(r2 <= 1.5)})`);
    console.log(`  creg-chart --help              ${fmt(h2)}   (target <= 150 ms: ${verdict(h2 <= 150)})`);
    console.log(`  node -e 0                      ${fmt(median(nodeBareNoCa))}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
