// Runs every test/**/*.test.mjs in its own Node process (a crash or a hung
// server in one file cannot take the others down), streams its output, and
// sums uvu's per-file counts into the closing line `N passed, N failed`.
// Usage: node test/run.mjs [substring ...]   (only files whose path contains one)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
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

const files = findTests(testDir).filter((f) => filters.length === 0 || filters.some((s) => relative(testDir, f).includes(s)));
if (files.length === 0) {
  console.log(`no test files match ${filters.join(' ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

for (const file of files) {
  const name = relative(join(testDir, '..'), file);
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
