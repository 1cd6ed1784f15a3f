// npm run bench: creg-chart's own cost against the real helm it wraps, on the
// same chart, in one run (ratios taken in one run are what count on a busy
// machine). Medians of BENCH_RUNS (default 9) wall times, one process at a
// time, the variants interleaved. Goals (issue 15), for a Node.js without
// NODE_EXTRA_CA_CERTS (a user's machine):
//   build    creg-chart build / (helm lint --strict + helm package)           <= 0.9
//   help     creg-chart --help / helm --help                                  <= 1.0
//   fleet    creg-chart validate --cluster-dir, 1,000 cluster files          <= 1 s wall,
//            and >= 50x faster than helm lint --strict -f base -f FILE one by one
//            (helm timed on a sample of BENCH_FLEET_SAMPLE files, default 50, and scaled)
//   memory   peak RSS of the creg-chart build process                         <= 120 MiB
// When NODE_EXTRA_CA_CERTS is set (this machine sets it; every Node.js start
// then parses that bundle), the figures are printed both ways.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHelm } from '../dist/helm/helm.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'creg-chart.js');
const runs = Number(process.env.BENCH_RUNS ?? 9);
const fleetSize = Number(process.env.BENCH_FLEET ?? 1000);
const sampleSize = Math.min(fleetSize, Number(process.env.BENCH_FLEET_SAMPLE ?? 50));
const helm = await findHelm();
const work = mkdtempSync(join(tmpdir(), 'creg-bench-'));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();

function timed(cmd, args, { env = process.env, expect = [0] } = {}) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!expect.includes(res.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}:\n${res.stdout}${res.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const verdict = (ok) => (ok ? 'met' : 'MISSED');

// The fleet: one shared base file and one small override per cluster; every
// 100th file is bad (a wrong type or an unknown key), as in real fleets.
function writeFleet(dir) {
  mkdirSync(join(dir, 'clusters'), { recursive: true });
  writeFileSync(join(dir, 'base.yaml'), 'nas:\n  server: nas.example.internal\n  path: /exports/registry\nregistry:\n  kind: Deployment\n  replicas: 2\n');
  for (let i = 1; i <= fleetSize; i++) {
    const n = String(i).padStart(4, '0');
    const bad = i % 100 === 37 ? '  replicas: two\n' : i % 100 === 73 ? 'servce:\n  name: x\n' : '';
    writeFileSync(join(dir, 'clusters', `cluster-${n}.yaml`), `# cluster ${n}\nnas:\n  server: 10.${Math.floor(i / 250)}.${i % 250}.2\nnodeLabel:\n  value: registry-${n}\nservice:\n  clusterIP: 10.96.${Math.floor(i / 250)}.${(i % 250) + 1}\n${bad.startsWith('  ') ? `registry:\n${bad}` : bad}`);
  }
}

// Peak RSS of the Node.js process, reported by a preload on exit.
const rssReporter = join(work, 'rss-reporter.cjs');
writeFileSync(rssReporter, "process.on('exit', () => { require('node:fs').appendFileSync(process.env.CREG_BENCH_RSS_FILE, `${process.resourceUsage().maxRSS}\\n`); });\n");

try {
  const outDir = join(work, 'out');
  const chartDir = join(outDir, 'creg');
  timed(process.execPath, [cli, 'build', '--output-dir', outDir]); // warm the file cache (and helm's version cache)
  writeFleet(work);
  const fleetArgs = [cli, 'validate', '-f', join(work, 'base.yaml'), '--cluster-dir', join(work, 'clusters')];
  timed(process.execPath, fleetArgs, { expect: [1] }); // warm

  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const noExtraCa = { ...process.env };
  delete noExtraCa.NODE_EXTRA_CA_CERTS;
  const envs = extraCa ? [['unset', noExtraCa], ['set', process.env]] : [['unset', noExtraCa]];
  const t = {};
  const add = (k, v) => (t[k] ??= []).push(v);
  for (let i = 0; i < runs; i++) {
    add('helm', timed(helm.bin, ['lint', '--strict', chartDir]) + timed(helm.bin, ['package', chartDir, '--destination', join(work, 'pkg')]));
    add('helmLint', timed(helm.bin, ['lint', '--strict', chartDir]));
    add('helmHelp', timed(helm.bin, ['--help']));
    for (const [name, env] of envs) {
      add(`node/${name}`, timed(process.execPath, ['-e', '0'], { env }));
      add(`build/${name}`, timed(process.execPath, [cli, 'build', '--output-dir', outDir], { env }));
      add(`help/${name}`, timed(process.execPath, [cli, '--help'], { env }));
      add(`fleet/${name}`, timed(process.execPath, fleetArgs, { env, expect: [1] }));
    }
  }
  // helm on a sample of the fleet, one file at a time, as by hand.
  const sample = [];
  for (let k = 0; k < sampleSize; k++) {
    const n = String(1 + Math.floor((k * fleetSize) / sampleSize)).padStart(4, '0');
    sample.push(timed(helm.bin, ['lint', '--strict', chartDir, '-f', join(work, 'base.yaml'), '-f', join(work, 'clusters', `cluster-${n}.yaml`)], { expect: [0, 1] }));
  }
  const helmFleet = (sample.reduce((a, b) => a + b, 0) / sample.length) * fleetSize;
  // Peak RSS of the build (the Node.js process; helm runs in its own).
  const rssFile = join(work, 'rss.txt');
  for (let i = 0; i < 3; i++) {
    timed(process.execPath, ['--require', rssReporter, cli, 'build', '--output-dir', outDir], { env: { ...noExtraCa, CREG_BENCH_RSS_FILE: rssFile } });
  }
  const rssMiB = Math.max(...readFileSync(rssFile, 'utf8').trim().split('\n').map(Number)) / 1024;
  // Where a build's wall time goes: CREG_CHART_TRACE=1 timelines (ms since
  // Node.js started), medians per step, from separate runs.
  const steps = new Map();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [cli, 'build', '--output-dir', outDir], { cwd: work, encoding: 'utf8', env: { ...noExtraCa, CREG_CHART_TRACE: '1' } });
    for (const m of r.stderr.matchAll(/^creg-chart trace: ([\d.]+) ms (.+)$/gm)) steps.set(m[2], [...(steps.get(m[2]) ?? []), Number(m[1])]);
  }

  const helmMs = median(t.helm);
  console.log(`helm ${helm.version} (${helm.bin}); ${runs} runs each, medians of wall times; ${cpus().length} CPUs; load average ${loadBefore} at the start, ${load()} at the end (wall times need an idle machine)`);
  console.log(`  helm lint --strict + helm package      ${fmt(helmMs)}   (helm lint alone ${fmt(median(t.helmLint))})`);
  console.log(`  helm --help                            ${fmt(median(t.helmHelp))}`);
  console.log(`  helm lint --strict -f base -f FILE     ${fmt(helmFleet)} for ${fleetSize} files (${sampleSize} timed, ${fmt(helmFleet / fleetSize)} each, scaled)`);
  for (const [name] of envs) {
    const goals = name === 'unset';
    console.log(goals
      ? 'creg-chart without NODE_EXTRA_CA_CERTS (the goals hold here, as on a user\'s machine):'
      : `creg-chart with NODE_EXTRA_CA_CERTS=${extraCa} (set on this machine; every Node.js start parses it; for comparison):`);
    const build = median(t[`build/${name}`]);
    const help = median(t[`help/${name}`]);
    const fleet = median(t[`fleet/${name}`]);
    const ratio = build / helmMs;
    const helpRatio = help / median(t.helmHelp);
    const speedup = helmFleet / fleet;
    const perRun = t[`build/${name}`].map((b, i) => b / t.helm[i]).sort((a, b) => a - b);
    console.log(`  build                                  ${fmt(build)}   ratio ${ratio.toFixed(2)}   (goal <= 0.90: ${verdict(ratio <= 0.9)}; per run ${perRun[0].toFixed(2)}-${perRun[perRun.length - 1].toFixed(2)})`);
    console.log(`  --help                                 ${fmt(help)}   ratio ${helpRatio.toFixed(2)}   (goal <= 1.00: ${verdict(helpRatio <= 1)})`);
    console.log(`  validate --cluster-dir (${fleetSize} files)     ${fmt(fleet)}   (goal <= 1000 ms: ${verdict(fleet <= 1000)}); ${speedup.toFixed(0)}x helm one by one (goal >= 50x: ${verdict(speedup >= 50)})`);
    console.log(`  node -e 0 (Node.js start alone)        ${fmt(median(t[`node/${name}`]))}`);
  }
  console.log(`where creg-chart build's time goes (CREG_CHART_TRACE=1, without NODE_EXTRA_CA_CERTS; medians of ${runs} runs, ms since Node.js started; helm lint alone takes ${fmt(median(t.helmLint))}):`);
  console.log(`  ${[...steps].map(([step, ms]) => `${median(ms).toFixed(0)} ${step}`).join(' | ')}`);
  console.log(`peak RSS of creg-chart build (Node.js process, max of 3)   ${rssMiB.toFixed(1)} MiB   (goal <= 120 MiB: ${verdict(rssMiB <= 120)})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
