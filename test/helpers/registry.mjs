// The real Distribution registry (`docker-registry serve`, Debian package)
// on 127.0.0.1 over TLS, with a certificate from our own signer's local mode,
// optionally behind htpasswd (bcrypt) auth. Shared by the TLS and publishing
// tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './chart.mjs';

export const SIGNER_BUNDLE = join(ROOT, 'dist', 'signer', 'signer.js');

/** True when `bin` is on PATH. */
export const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** GET over HTTPS trusting `ca`; resolves { status, body }. */
export function httpsGetText(url, ca, headers = {}, extra = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, timeout: 5000, headers, ...extra }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function httpGetStatus(url) {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Signs ca.crt, tls.crt, tls.key for `ip` into `dir` with the bundled
 * signer (`node dist/signer/signer.js sign`). Throws with its stderr.
 */
export function signCertificates(dir, ip = '127.0.0.1') {
  const s = spawnSync(process.execPath, [SIGNER_BUNDLE, 'sign', '--ip', ip, '--out', dir], { encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`signer failed: ${s.stderr}`);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), output: s.stdout + s.stderr };
}

/**
 * Writes a bcrypt htpasswd file with apache2-utils' `htpasswd -B` (the
 * password goes in on stdin, `-i`, not on its command line).
 */
export function writeHtpasswd(file, user, password) {
  const r = spawnSync('htpasswd', ['-niB', user], { input: `${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
  writeFileSync(file, r.stdout.trim() + '\n');
}

/**
 * Starts `docker-registry serve` on 127.0.0.1 with TLS from `tls`
 * ({ cert, key, ca }; null: plain HTTP) and, when `htpasswd` is given, basic auth. Resolves
 * once /v2/ answers (200, or 401 with auth); `verifyOnStart: false` skips
 * checking the certificate's name then (for a certificate made not to match).
 * Returns { port, url, log(), stop() }.
 */
export async function startRegistry({ dir, tls, htpasswd, verifyOnStart = true }) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      ...(htpasswd ? ['auth:', `  htpasswd: { realm: creg-test, path: ${JSON.stringify(htpasswd)} }`] : []),
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: creg-test-secret',
      ...(tls ? [`  tls: { certificate: ${JSON.stringify(tls.cert)}, key: ${JSON.stringify(tls.key)} }`] : []),
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const ca = tls ? readFileSync(tls.ca) : undefined;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = tls
        ? await httpsGetText(`https://127.0.0.1:${port}/v2/`, ca, {}, verifyOnStart ? {} : { checkServerIdentity: () => undefined })
        : await httpGetStatus(`http://127.0.0.1:${port}/v2/`);
      if (r.status === 200 || (htpasswd && r.status === 401)) break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`registry did not start: ${e.message}\n${log}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => log,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
