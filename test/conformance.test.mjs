// The OCI Distribution conformance suite (github.com/opencontainers/distribution-spec/conformance,
// built by .ci/run) against the real Distribution 3.1.2 started with the chart's rendered registry
// env, over TLS trusting only the chart's CA (SSL_CERT_FILE), without and with auth (the generated
// push user). Every test case is put into one of the four workflows of the OCI spec (pull, push,
// content discovery, content management). A failure fails this test unless it is one of the
// Distribution limits listed in KNOWN_LIMITS (each with its reason, README "Conformance"); a known
// limit that stops failing fails it too, so the list and the README stay true.
// CONFORMANCE_TABLE=FILE writes the README's result table there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, helmTemplate, tempDir } from './helpers/chart.mjs';
import {
  CONFORMANCE_BIN,
  CONFORMANCE_VERSION,
  DISTRIBUTION_VERSION,
  distribution3Missing,
  freePort,
  registryContainerOf,
  resolveContainerEnv,
  signCertificates,
  startDistribution3,
} from './helpers/registry.mjs';
import { htpasswdLine, newPassword } from '../dist/signer/auth.mjs';

export const WORKFLOWS = ['pull', 'push', 'content discovery', 'content management'];

/** The workflow of one test case, from its path ("OCI Conformance Test/image/push/manifest-by-tag"). */
export function workflowOf(name) {
  const parts = name.split('/');
  const leaf = parts[parts.length - 1];
  if (parts.includes('push')) return 'push';
  if (parts.includes('pull')) return 'pull';
  if (/delete/.test(leaf) || parts.includes('delete')) return 'content management';
  if (/^tag[ -]list$|^referrers/.test(leaf)) return 'content discovery';
  if (/^(blob-(post|patch|put|mount)|manifest-put)/.test(leaf)) return 'push';
  return 'pull';
}

/**
 * Failures Distribution 3.1.2 is known for (none of them is chart configuration). Matched against
 * the test case's path and its error text.
 */
export const KNOWN_LIMITS = [
  { id: 'sha512', reason: 'Distribution addresses content by sha256 only: blobs and manifests pushed with sha512 digests are stored under their sha256 digest, so every sha512 lookup fails', test: (n, e) => /sha512/i.test(n) || /sha512:/.test(e) },
  { id: 'referrers', reason: 'Distribution has no referrers API (GET /v2/<name>/referrers/<digest> answers 404) and so sends no OCI-Subject header for a manifest with a subject (clients fall back to the referrers tag schema)', test: (n, e) => /\/referrers$/.test(n) || /"OCI-Subject"/.test(e) },
  { id: 'nondistributable', reason: 'Distribution refuses (500) a manifest whose non-distributable (foreign) layers were never pushed, so that image cannot be tagged, listed or pulled', test: (n) => /\/non-distributable-layers\//.test(n) },
];

/** Parses the suite's junit.xml: [{ name, status: passed|failure|skipped|error, errors }]. */
export function parseJunit(xml) {
  const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#34;/g, '"').replace(/&#xA;/g, '\n').replace(/&#x9;/g, '\t').replace(/&amp;/g, '&');
  const cases = [];
  for (const chunk of xml.split('<testcase ').slice(1)) {
    const head = chunk.slice(0, chunk.indexOf('>'));
    const name = unescape(/name="([^"]*)"/.exec(head)?.[1] ?? '');
    const status = /status="([^"]*)"/.exec(head)?.[1] ?? 'unknown';
    const body = chunk.slice(0, chunk.indexOf('</testcase>') >= 0 ? chunk.indexOf('</testcase>') : undefined);
    const errors = unescape(/<system-out>([\s\S]*?)<\/system-out>/.exec(body)?.[1] ?? '');
    cases.push({ name, status, errors });
  }
  return cases;
}

/** Per workflow: passed, failed (unknown), known (failed on a known limit), skipped. */
export function tally(cases) {
  const rows = Object.fromEntries(WORKFLOWS.map((w) => [w, { passed: 0, failed: 0, known: 0, skipped: 0 }]));
  const unexpected = [];
  const limitsSeen = new Set();
  const byLimit = {};
  for (const c of cases) {
    const row = rows[workflowOf(c.name)];
    if (c.status === 'passed') row.passed++;
    else if (c.status === 'skipped') row.skipped++;
    else {
      const limit = KNOWN_LIMITS.find((l) => l.test(c.name, c.errors));
      if (limit) {
        row.known++;
        limitsSeen.add(limit.id);
        byLimit[limit.id] = (byLimit[limit.id] ?? 0) + 1;
      } else {
        row.failed++;
        unexpected.push(c);
      }
    }
  }
  return { rows, unexpected, limitsSeen, byLimit };
}

const missing = [...distribution3Missing(), ...(existsSync(CONFORMANCE_BIN) ? [] : [`${CONFORMANCE_BIN} (bash scripts/build-go-tool.sh oci-conformance github.com/opencontainers/distribution-spec/conformance@${CONFORMANCE_VERSION})`])];
const work = tempDir('creg-conformance-');
const running = [];
test.after(async () => {
  for (const r of running) await r.stop();
  rmSync(work, { recursive: true, force: true });
});

if (missing.length) {
  test('Distribution 3 and the conformance suite are built', () => {
    if (process.env.CI) assert.unreachable(`missing ${missing.join('; ')} (required when CI is set)`);
    console.log(`  skipped conformance: missing ${missing.join('; ')}`);
  });
} else {
  const { chartDir } = await buildChart({ outputDir: join(work, 'out') });
  const certs = join(work, 'certs');
  signCertificates(certs);
  const ca = join(certs, 'ca.crt');
  const results = {};

  /** Starts Distribution 3 with the chart's env (auth on when `htpasswd`), runs the suite, returns its test cases. */
  async function conformance(label, set, { htpasswd, user, password } = {}) {
    const port = await freePort();
    const objects = helmTemplate(HELMS[0].bin, chartDir, ['--set', `registry.port=${port}`, ...set.flatMap((s) => ['--set', s])]);
    const { container } = registryContainerOf(objects);
    const dir = join(work, label);
    const auth = join(dir, 'auth');
    mkdirSync(auth, { recursive: true });
    if (htpasswd) writeFileSync(join(auth, 'htpasswd'), htpasswd, { mode: 0o600 });
    const env = resolveContainerEnv(container.env, {
      secrets: { 'eyoh-creg-http-secret': { REGISTRY_HTTP_SECRET: newPassword() } },
      paths: { '/certs': certs, '/auth': auth },
    });
    const registry = await startDistribution3({ dir, env, ca });
    running.push(registry);
    const out = join(dir, 'results');
    const started = Date.now();
    const code = await new Promise((resolve, reject) => {
      // Only the chart's CA is trusted (SSL_CERT_FILE replaces the system roots); credentials go in the environment.
      const child = spawn(CONFORMANCE_BIN, [], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: '/usr/bin:/bin',
          HOME: dir,
          SSL_CERT_FILE: ca,
          OCI_REGISTRY: registry.host,
          OCI_TLS: 'enabled',
          OCI_REPO1: 'conformance/repo1',
          OCI_REPO2: 'conformance/repo2',
          OCI_RESULTS_DIR: out,
          OCI_LOG: 'error',
          ...(user ? { OCI_USERNAME: user, OCI_PASSWORD: password } : {}),
        },
      });
      let stdout = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', () => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.on('error', reject);
      child.on('exit', (c) => {
        clearTimeout(timer);
        writeFileSync(join(dir, 'report.txt'), stdout);
        resolve(c);
      });
    });
    await registry.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    assert.ok(existsSync(join(out, 'junit.xml')), `the suite wrote no junit.xml (exit ${code})`);
    const cases = parseJunit(readFileSync(join(out, 'junit.xml'), 'utf8'));
    assert.ok(cases.length > 300, `only ${cases.length} test cases ran`);
    const t = tally(cases);
    results[label] = { ...t, total: cases.length, seconds };
    console.log(`  conformance ${label}: ${cases.length} cases in ${seconds} s`);
    for (const w of WORKFLOWS) {
      const r = t.rows[w];
      console.log(`    ${w}: ${r.passed} passed, ${r.failed + r.known} failed (${r.known} known Distribution limits), ${r.skipped} skipped`);
    }
    console.log(`    known limits: ${Object.entries(t.byLimit).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    const skipped = cases.filter((c) => c.status === 'skipped');
    const reasons = {};
    for (const c of skipped) {
      const why = (c.errors.split('\n')[0] || '(disabled by the suite\'s defaults)').replace(/[0-9a-f]{16,}/g, '…');
      reasons[why] = (reasons[why] ?? 0) + 1;
    }
    for (const [why, n] of Object.entries(reasons)) console.log(`    skipped ${n}: ${why}`);
    return t;
  }

  const check = (label, t) => {
    const list = t.unexpected.slice(0, 15).map((c) => `${c.name}: ${c.errors.split('\n')[0]}`).join('\n  ');
    assert.is(t.unexpected.length, 0, `${t.unexpected.length} conformance failures in workflows Distribution supports (${label}):\n  ${list}\n(reports in ${work}/${label}/report.txt)`);
    for (const w of ['pull', 'push', 'content discovery', 'content management']) assert.ok(t.rows[w].passed > 0, `no ${w} test passed (${label})`);
    const unused = KNOWN_LIMITS.filter((l) => !t.limitsSeen.has(l.id)).map((l) => l.id);
    assert.equal(unused, [], `known Distribution limits that no longer fail (${label}): ${unused.join(', ')}; drop them from KNOWN_LIMITS and the README`);
  };

  test(`Distribution ${DISTRIBUTION_VERSION} with the chart's env, TLS, no auth: every supported workflow conforms`, async () => {
    check('no-auth', await conformance('no-auth', []));
  });

  test(`Distribution ${DISTRIBUTION_VERSION} with the chart's env, TLS, auth on (generated push user): every supported workflow conforms`, async () => {
    const password = newPassword();
    // bcrypt cost 5 instead of the signer's 10: Distribution checks the password on every request,
    // and the suite makes thousands (cost 10 takes the run from ~20 s to ~3 min on 2 cores).
    const t = await conformance('auth', ['auth.enabled=true'], { htpasswd: `${htpasswdLine('push', password, 5)}\n`, user: 'push', password });
    check('auth', t);
  });

  test('result table', () => {
    const lines = [
      '| workflow | without auth: passed / failed / skipped | with auth: passed / failed / skipped |',
      '| --- | --- | --- |',
      ...WORKFLOWS.map((w) => {
        const cell = (label) => {
          const r = results[label]?.rows[w];
          return r ? `${r.passed} / ${r.failed + r.known} / ${r.skipped}` : 'not run';
        };
        return `| ${w} | ${cell('no-auth')} | ${cell('auth')} |`;
      }),
    ];
    console.log(lines.map((l) => `  ${l}`).join('\n'));
    if (process.env.CONFORMANCE_TABLE) writeFileSync(process.env.CONFORMANCE_TABLE, `${lines.join('\n')}\n`);
    assert.ok(results['no-auth'] && results.auth);
  });
}

test.run();
