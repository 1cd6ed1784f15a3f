// The Distribution registry 3.x binary (built from the Go module proxy by
// scripts/build-go-tool.sh) for the mirror-mode tests: an upstream and a
// pull-through mirror that can be stopped and restarted on the same port and
// storage, over TLS or plain HTTP (test/helpers/distribution.mjs serves the
// storage tests). Loopback (or this machine's own address); every file in the
// test's temporary directory. Same binary and version pin as registry.mjs's
// startDistribution3 (issue 10), which runs TLS-only with the image's
// config-dev.yml; this one also serves plain HTTP and restarts on the same
// port and storage, which the mirror tests need.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISTRIBUTION_BIN, DISTRIBUTION_VERSION, httpGetStatus, httpsGetText } from './registry.mjs';

export const REGISTRY3_VERSION = DISTRIBUTION_VERSION;
export const REGISTRY3_BUILD = `bash scripts/build-go-tool.sh registry github.com/distribution/distribution/v3/cmd/registry@${REGISTRY3_VERSION}`;

/** The registry 3.x binary: $CREG_REGISTRY3, else the build script's cache directory; '' when missing. */
export function findRegistry3() {
  if (process.env.CREG_REGISTRY3) return process.env.CREG_REGISTRY3;
  return existsSync(DISTRIBUTION_BIN) ? DISTRIBUTION_BIN : '';
}

/**
 * The configuration file of the official `registry:3` image (what the chart's pods start with,
 * before the chart's REGISTRY_* environment overrides it), with the storage directory moved into
 * the test's directory and the debug server off.
 */
export function imageConfig(dataDir) {
  return [
    'version: 0.1',
    'log:',
    '  fields:',
    '    service: registry',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(dataDir)}`,
    'http:',
    '  addr: 127.0.0.1:5000',
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n');
}

/**
 * Starts `registry serve` with the image's configuration and `env` on top; resolves once
 * https://<host>:<port>/v2/ answers 200 trusting `ca` (PEM file; no `ca`: plain http). `host` and
 * `port` must match the REGISTRY_HTTP_ADDR in env. Returns { log(), stop(), dataDir, restart() }.
 */
export async function startRegistry3({ dir, env, port, ca, host = '127.0.0.1', timeoutMs = 20_000 }) {
  const bin = findRegistry3();
  if (!bin) throw new Error(`Distribution ${REGISTRY3_VERSION} not found; build it with: ${REGISTRY3_BUILD}`);
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  const config = join(dir, 'config.yml');
  writeFileSync(config, imageConfig(dataDir));
  const caPem = ca ? readFileSync(ca) : undefined;
  let log = '';
  let child;
  const start = async () => {
    // The image sets OTEL_TRACES_EXPORTER=none; PATH only, nothing else from the test's environment.
    child = spawn(bin, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, OTEL_TRACES_EXPORTER: 'none', ...env } });
    child.stdout.on('data', (c) => (log += c));
    child.stderr.on('data', (c) => (log += c));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = caPem ? await httpsGetText(`https://${host}:${port}/v2/`, caPem) : await httpGetStatus(`http://${host}:${port}/v2/`);
        if (r.status === 200) return;
      } catch (e) {
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`registry ${REGISTRY3_VERSION} did not start: ${e.message}\n${log}`);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
  };
  await start();
  return { dataDir, log: () => log, stop, restart: start };
}
