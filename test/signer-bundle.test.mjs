// Runs the very bundled file the chart ships (dist/signer/signer.js) as a child process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'signer', 'signer.js');
const dirs = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'creg-signer-'));
  dirs.push(d);
  return d;
};
const printed = [];
function signer(args, env = {}) {
  // run from a neutral directory so nothing outside the bundle can be resolved
  const r = spawnSync(process.execPath, [bundle, ...args], { cwd: tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  printed.push(r.stdout, r.stderr);
  return r;
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('the bundle is one CommonJS file under 900 KiB with a commonjs package.json beside it', () => {
  assert.ok(existsSync(bundle), 'run npm run compile first');
  const size = statSync(bundle).size;
  assert.ok(size < 900 * 1024, `size ${size}`);
  assert.equal(JSON.parse(readFileSync(join(root, 'dist', 'signer', 'package.json'), 'utf8')), { type: 'commonjs' });
  const src = readFileSync(bundle, 'utf8');
  assert.not.match(src, /^\s*(import|export)\s/m, 'no ESM syntax');
  assert.not.match(src, /require\(["'](node-forge|yargs)/, 'dependencies are inlined');
  assert.not.match(src, /-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/]/, 'no key material in the bundle');
});

test('the bundle is readable (not minified) and reproducible: the same source gives the same bytes', () => {
  const src = readFileSync(bundle, 'utf8');
  const lines = src.split('\n');
  assert.ok(lines.length > 10000, `${lines.length} lines`);
  assert.ok(Math.max(...lines.map((l) => l.length)) < 2000, 'no minified megaline');
  assert.match(src, /function readInClusterConfig\(/, 'the signer\'s own function names are kept');
  const before = createHash('sha256').update(src).digest('hex');
  // Rebuild from another working directory: same bytes (no absolute paths, no timestamps).
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-signer.mjs')], { cwd: tmpdir(), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(createHash('sha256').update(readFileSync(bundle)).digest('hex'), before);
});

test('sign: new CA, then reuse with --ca-dir', () => {
  const out = tmp();
  const r = signer(['sign', '--ip', '10.100.153.175', '--ip', '127.0.0.1', '--dns', 'registry-svc.default.svc', '--out', out, '--days', '90']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /created a new CA/);
  for (const f of ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']) assert.ok(existsSync(join(out, f)), f);
  assert.is(statSync(join(out, 'tls.key')).mode & 0o777, 0o600);
  const ca = new X509Certificate(readFileSync(join(out, 'ca.crt')));
  const x = new X509Certificate(readFileSync(join(out, 'tls.crt')));
  assert.ok(ca.ca);
  assert.ok(x.verify(ca.publicKey));
  assert.is(x.checkIP('10.100.153.175'), '10.100.153.175');
  assert.is(x.checkHost('registry-svc.default.svc'), 'registry-svc.default.svc');
  const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 89.9 && days <= 90.01, `days ${days}`);

  const out2 = tmp();
  const r2 = signer(['sign', '--ip', '10.100.153.176', '--out', out2, '--ca-dir', out]);
  assert.is(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /reused the CA/);
  assert.not.ok(existsSync(join(out2, 'ca.key')), 'no ca.key where the CA was not created');
  assert.is(readFileSync(join(out2, 'ca.crt'), 'utf8'), readFileSync(join(out, 'ca.crt'), 'utf8'));
  assert.ok(new X509Certificate(readFileSync(join(out2, 'tls.crt'))).verify(ca.publicKey));
});

test('sign: errors are one line and non-zero', () => {
  const out = tmp();
  const cases = [
    [['sign', '--ip', '300.1.1.1', '--out', out], /--ip "300\.1\.1\.1" is not an IPv4 or IPv6 address/],
    [['sign', '--dns', 'bad_name', '--out', out], /--dns "bad_name" is not a valid DNS name/],
    [['sign', '--ip', '10.0.0.1'], /--out DIR is required/],
    [['sign', '--out', out], /at least one --ip/],
    [['sign', '--ip', '10.0.0.1', '--out', out, '--days', 'x'], /--days must be a whole number/],
    [['sign', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown mode "frobnicate"/],
  ];
  for (const [args, re] of cases) {
    const r = signer(args);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.not.ok(existsSync(join(out, 'tls.crt')), 'nothing written on error');
});

test('prepare-tls: bootstrap certificate when the Secret is absent, copy when present', () => {
  const empty = tmp();
  const to = tmp();
  const r = signer(['prepare-tls', '--from', join(empty, 'missing'), '--to', to], { POD_IP: '10.244.3.9' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /temporary self-signed certificate/);
  const boot = new X509Certificate(readFileSync(join(to, 'tls.crt')));
  assert.ok(boot.verify(boot.publicKey), 'self-signed');
  assert.is(boot.checkIP('10.244.3.9'), '10.244.3.9');
  assert.is(boot.checkIP('127.0.0.1'), '127.0.0.1');
  assert.is(statSync(join(to, 'tls.key')).mode & 0o777, 0o600);

  const secret = tmp();
  assert.is(signer(['sign', '--ip', '10.96.0.20', '--out', secret]).status, 0);
  const to2 = tmp();
  const r2 = signer(['prepare-tls', '--from', secret, '--to', to2]);
  assert.is(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /using the signed certificate/);
  assert.is(readFileSync(join(to2, 'tls.crt'), 'utf8'), readFileSync(join(secret, 'tls.crt'), 'utf8'));
  assert.is(readFileSync(join(to2, 'tls.key'), 'utf8'), readFileSync(join(secret, 'tls.key'), 'utf8'));
  assert.is(statSync(join(to2, 'tls.key')).mode & 0o777, 0o600);
  assert.not.ok(existsSync(join(to2, 'ca.key')), 'the CA key is never copied');
});

test('in-cluster: missing configuration is a one-line error', () => {
  const r = signer(['in-cluster']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /Missing environment variables POD_NAMESPACE, SERVICE_NAME/);
  const r2 = signer(['in-cluster'], {
    POD_NAMESPACE: 'ns', SERVICE_NAME: 'registry-svc', CA_STORE: 'r-ca', TLS_STORE: 'r-tls',
    WORKLOAD_KIND: 'StatefulSet', WORKLOAD_NAME: 'r', POD_SELECTOR: 'a=b',
  });
  assert.is(r2.status, 1);
  assert.match(r2.stderr, /WORKLOAD_KIND="StatefulSet" must be ReplicationController or Deployment/);
});

test('nothing the signer printed contains key material', () => {
  assert.ok(printed.length > 0);
  for (const p of printed) assert.not.ok(/PRIVATE KEY/.test(p), p);
});

test.run();
