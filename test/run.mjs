// Runs every test/**/*.test.mjs in its own Node process (a crash or a hung
// server in one file cannot take the others down), streams its output, and
// sums uvu's per-file counts into the closing line `N passed, N failed`.
// Usage: node test/run.mjs [substring ...]   (only files whose path contains one)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const perFileTimeoutMs = Number(process.env.CREG_TEST_FILE_TIMEOUT_MS ?? 30 * 60 * 1000);

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : findTests(p);
    return e.name.endsWith('.test.mjs') ? [p] : [];
  }).sort();
}

// CREG_TEST_BACKGROUND_BUILD=<lock file>: .ci/run builds the two longest
// cold tools (trivy, SeaweedFS) in the background while the other tools
// build and the tests run, holding that lock (flock) until it ends. The test
// files that need those tools run last, after waiting for the lock; the
// build's exit code is in <lock file>.status and its output in <lock file>.log.
const background = process.env.CREG_TEST_BACKGROUND_BUILD;
const needsBackground = (f) => /(^|\/)(judges|storage-real)\.test\.mjs$/.test(relative(testDir, f));
const matching = findTests(testDir).filter((f) => filters.length === 0 || filters.some((s) => relative(testDir, f).includes(s)));
const files = background ? [...matching.filter((f) => !needsBackground(f)), ...matching.filter(needsBackground)] : matching;
if (files.length === 0) {
  console.log(`no test files match ${filters.join(' ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

/** Blocks until the background build releases its lock; says how it ended. */
function waitForBackgroundBuild(lock) {
  const started = Date.now();
  console.log(`\n[run.mjs] waiting for the background build of trivy and SeaweedFS (${lock}.log) ...`);
  const r = spawnSync('flock', [lock, 'true'], { stdio: 'inherit' });
  let status = 'unknown';
  try {
    status = readFileSync(`${lock}.status`, 'utf8').trim();
  } catch {
    // it never wrote one: reported below
  }
  console.log(`[run.mjs] the background build ended with exit code ${status} after ${((Date.now() - started) / 1000).toFixed(0)} s of waiting${r.status === 0 ? '' : ' (flock failed)'}`);
  if (status !== '0') {
    try {
      console.log(readFileSync(`${lock}.log`, 'utf8').split('\n').slice(-30).join('\n'));
    } catch {
      // no log either
    }
  }
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

let waited = !background;
for (const file of files) {
  const name = relative(join(testDir, '..'), file);
  if (!waited && needsBackground(file)) {
    waited = true;
    waitForBackgroundBuild(background);
  }
  console.log(`\n=== ${name}`);
  const started = Date.now();
  const { code, output } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      output += `\n[run.mjs] ${name} took longer than ${perFileTimeoutMs} ms; killed.\n`;
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 1 : 0), output }); });
  });
  const text = strip(output);
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
  const skip = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    failed += 1;
    failures.push(`${name}: ended (exit ${code}) without a test summary`);
    continue;
  }
  passed += ok;
  skipped += skip;
  // uvu's Total counts the tests that ran; skipped tests are not in it.
  let bad = total - ok;
  if (bad === 0 && code !== 0) {
    bad = 1;
    failures.push(`${name}: all tests passed but the file exited with ${code}`);
  } else if (bad > 0) {
    failures.push(`${name}: ${bad} failed`);
  }
  failed += bad;
  console.log(`--- ${name}: ${ok} passed, ${bad} failed${skip ? `, ${skip} skipped` : ''} (${seconds}s)`);
}

if (failures.length) console.log(`\nFailures:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
