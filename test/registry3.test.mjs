// The real Distribution 3.1.2 (the chart's default registry:3.1.2), started with exactly the
// registry container's environment that `helm template` renders (Secret references resolved from
// this test's own Secrets), the image's own config file and the certificate our signer signs.
// Proves: push/pull over TLS trusting only the CA; REGISTRY_LOG_LEVEL=info; the debug server off,
// or on loopback only; deleteEnabled; and auth (401 without credentials, the generated push user
// pushes, the pull Secret's .dockerconfigjson pulls, an empty bootstrap htpasswd file locks everyone
// out without the registry inventing a user). The pull user can push too: Distribution's htpasswd
// auth has no per-user permissions (README "Authentication"), and the test pins that limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, SIGNER_BUNDLE, buildChart, helmTemplate, tempDir } from './helpers/chart.mjs';
import {
  distribution3Missing,
  freePort,
  have,
  httpsRequest,
  registryContainerOf,
  resolveContainerEnv,
  signCertificates,
  skopeoCopy,
  startDistribution3,
  writeOciLayout,
} from './helpers/registry.mjs';
import { basicAuthorization, dockerConfigJson, htpasswdLine, newPassword } from '../dist/signer/auth.mjs';

const missing = [...distribution3Missing(), ...(have('skopeo') ? [] : ['skopeo'])];
const work = tempDir('creg-registry3-');
const running = [];
test.after(async () => {
  for (const r of running) await r.stop();
  rmSync(work, { recursive: true, force: true });
});

if (missing.length) {
  test('Distribution 3 and skopeo are available', () => {
    if (process.env.CI) assert.unreachable(`missing ${missing.join('; ')} (required when CI is set)`);
    console.log(`  skipped registry3: missing ${missing.join('; ')}`);
  });
} else {
  const { chartDir } = await buildChart({ outputDir: join(work, 'out') });
  const certs = join(work, 'certs');
  signCertificates(certs);
  const ca = join(certs, 'ca.crt');
  const certDir = join(work, 'trust'); // like /etc/containers/certs.d/<ip>:<port>/
  mkdirSync(certDir);
  copyFileSync(ca, join(certDir, 'ca.crt'));
  const layout = join(work, 'oci');
  writeOciLayout(layout, 'v1');
  const httpSecret = newPassword();

  /** Renders the chart with `set`, takes the registry container's env and starts Distribution 3 with it. */
  async function start(name, set, { htpasswdSecret } = {}) {
    const port = await freePort();
    const objects = helmTemplate(HELMS[0].bin, chartDir, ['--set', `registry.port=${port}`, ...set.flatMap((s) => ['--set', s])]);
    const { container, podSpec } = registryContainerOf(objects);
    const dir = join(work, name);
    const auth = join(dir, 'auth');
    mkdirSync(auth, { recursive: true });
    const init = podSpec.initContainers.find((c) => c.name === 'tls-setup');
    if (init.command.includes('--htpasswd-from')) {
      // What the init container does: copy the Secret's htpasswd into memory, or write an empty file.
      const from = join(dir, 'auth-secret', 'htpasswd');
      if (htpasswdSecret !== undefined) {
        mkdirSync(join(dir, 'auth-secret'));
        writeFileSync(from, htpasswdSecret);
      }
      const s = spawnSync(process.execPath, [SIGNER_BUNDLE, 'prepare-tls', '--from', join(dir, 'no-tls'), '--to', join(dir, 'boot'), '--htpasswd-from', from, '--htpasswd-to', join(auth, 'htpasswd')], { encoding: 'utf8' });
      assert.is(s.status, 0, s.stderr);
      assert.not.match(s.stdout + s.stderr, /\$2[aby]\$/, 'the init container must not log hashes');
    }
    const env = resolveContainerEnv(container.env, {
      secrets: { 'eyoh-creg-http-secret': { REGISTRY_HTTP_SECRET: httpSecret } },
      paths: { '/certs': certs, '/auth': auth },
    });
    const registry = await startDistribution3({ dir, env, ca });
    running.push(registry);
    return { registry, env, objects };
  }

  const authFile = (name, dockerconfigjson) => {
    const f = join(work, `${name}.json`);
    writeFileSync(f, dockerconfigjson);
    return f;
  };
  const copyTo = (registry, ref, file) =>
    skopeoCopy({ from: `oci:${layout}:v1`, to: `docker://${registry.host}/${ref}`, certDir, authFile: file ?? join(work, 'none.json') });
  const copyFrom = (registry, ref, file) =>
    skopeoCopy({ from: `docker://${registry.host}/${ref}`, to: `oci:${join(work, 'pulled')}:v1`, certDir, certDirFlag: '--src-cert-dir', authFile: file ?? join(work, 'none.json') });
  writeFileSync(join(work, 'none.json'), '{"auths":{}}');

  test('defaults: the registry env renders log level info, no debug server, no OTEL traces, deletes on', async () => {
    const { registry, env } = await start('defaults', []);
    assert.is(env.REGISTRY_LOG_LEVEL, 'info');
    assert.is(env.REGISTRY_HTTP_DEBUG_ADDR, '""');
    assert.is(env.OTEL_TRACES_EXPORTER, 'none');
    assert.is(env.REGISTRY_STORAGE_DELETE_ENABLED, 'true');
    const r = copyTo(registry, 'creg/hello:v1');
    assert.is(r.status, 0, `skopeo push failed:\n${r.stderr}\n${registry.log()}`);
    const p = copyFrom(registry, 'creg/hello:v1');
    assert.is(p.status, 0, `skopeo pull failed:\n${p.stderr}`);
    const log = registry.log();
    assert.ok(/level=info/.test(log), `expected info-level lines:\n${log}`);
    assert.not.match(log, /level=debug/, 'REGISTRY_LOG_LEVEL=info must silence the image config\'s debug level');
    assert.not.match(log, /debug server listening/, 'the debug server must be off by default');
    assert.not.match(log, /traces export|otlp|4318/i, 'no OpenTelemetry export attempts');
    const head = await httpsRequest(`https://${registry.host}/v2/creg/hello/manifests/v1`, readFileSync(ca), {
      method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.is(head.status, 200);
    const del = await httpsRequest(`https://${registry.host}/v2/creg/hello/manifests/${head.headers['docker-content-digest']}`, readFileSync(ca), { method: 'DELETE' });
    assert.is(del.status, 202, 'registry.deleteEnabled=true (default) must allow deletes');
    await registry.stop();
  });

  test('registry.debug.enabled: the debug server listens on 127.0.0.1 only and serves /metrics', async () => {
    const dport = await freePort();
    const { registry, env } = await start('debug', ['registry.debug.enabled=true', `registry.debug.port=${dport}`]);
    assert.is(env.REGISTRY_HTTP_DEBUG_ADDR, `127.0.0.1:${dport}`);
    assert.match(registry.log(), new RegExp(`debug server listening 127\\.0\\.0\\.1:${dport}`));
    const metrics = await fetch(`http://127.0.0.1:${dport}/metrics`);
    assert.is(metrics.status, 200);
    assert.match(await metrics.text(), /registry_/);
    // Not on the pod's other addresses: connecting to the machine's own eth0 address must fail.
    const eth0 = spawnSync('sh', ['-c', "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1"], { encoding: 'utf8' }).stdout.trim();
    if (eth0) {
      const reached = await new Promise((resolve) => {
        const s = connect({ host: eth0, port: dport, timeout: 2000 }, () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
        s.on('timeout', () => { s.destroy(); resolve(false); });
      });
      assert.is(reached, false, `the debug port must not be reachable on ${eth0}`);
    }
    await registry.stop();
  });

  const pushPw = newPassword();
  const pullPw = newPassword();
  const htpasswd = `${htpasswdLine('push', pushPw)}\n${htpasswdLine('pull', pullPw)}\n`;

  test('auth on, deletes off: 401 without credentials, push user pushes, the pull Secret pulls, DELETE refused', async () => {
    const { registry, env, objects } = await start('auth', ['auth.enabled=true', 'registry.deleteEnabled=false'], { htpasswdSecret: htpasswd });
    assert.is(env.REGISTRY_STORAGE_DELETE_ENABLED, 'false');
    assert.ok(env.REGISTRY_AUTH_HTPASSWD_PATH.endsWith('/auth/htpasswd'));
    assert.not.ok(JSON.stringify(objects).includes(pushPw), 'no password in the rendered chart');
    const caPem = readFileSync(ca);
    const anon = await httpsRequest(`https://${registry.host}/v2/`, caPem);
    assert.is(anon.status, 401);
    assert.match(anon.headers['www-authenticate'] ?? '', /^Basic realm="eyoh-creg registry"/);
    const wrong = await httpsRequest(`https://${registry.host}/v2/`, caPem, { headers: { Authorization: basicAuthorization('push', 'wrong') } });
    assert.is(wrong.status, 401);
    assert.is((await httpsRequest(`https://${registry.host}/v2/`, caPem, { headers: { Authorization: basicAuthorization('push', pushPw) } })).status, 200);
    const noCreds = copyTo(registry, 'creg/auth:v1');
    assert.is.not(noCreds.status, 0, 'a push without credentials must fail');
    assert.match(noCreds.stderr, /authentication required|unauthorized/i);
    const pushAuth = authFile('push', dockerConfigJson([registry.host], 'push', pushPw));
    const pushed = copyTo(registry, 'creg/auth:v1', pushAuth);
    assert.is(pushed.status, 0, `push with the push user failed:\n${pushed.stderr}\n${registry.log()}`);
    // The image pull Secret's .dockerconfigjson, as the signer writes it, is a valid auth file.
    const pullAuth = authFile('pull', dockerConfigJson([registry.host], 'pull', pullPw));
    const pulled = copyFrom(registry, 'creg/auth:v1', pullAuth);
    assert.is(pulled.status, 0, `pull with the pull Secret failed:\n${pulled.stderr}`);
    assert.is.not(copyFrom(registry, 'creg/auth:v1').status, 0, 'a pull without credentials must fail');
    // Distribution's htpasswd auth grants every authenticated user every action: the pull user can
    // push. Pinned here so that the README's statement stays true (it fails if that ever changes).
    const pullPush = copyTo(registry, 'creg/by-pull-user:v1', pullAuth);
    assert.is(pullPush.status, 0, 'Distribution htpasswd auth let the pull user push before; if this fails, make the pull user read-only in the README');
    const head = await httpsRequest(`https://${registry.host}/v2/creg/auth/manifests/v1`, caPem, {
      method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json', Authorization: basicAuthorization('push', pushPw) },
    });
    assert.is(head.status, 200);
    const del = await httpsRequest(`https://${registry.host}/v2/creg/auth/manifests/${head.headers['docker-content-digest']}`, caPem, {
      method: 'DELETE', headers: { Authorization: basicAuthorization('push', pushPw) },
    });
    assert.is(del.status, 405, 'registry.deleteEnabled=false must refuse deletes');
    const log = registry.log();
    for (const secret of [pushPw, pullPw]) assert.not.ok(log.includes(secret), 'no password in the registry log');
    await registry.stop();
  });

  test('auth on before the signer made the users: an empty htpasswd refuses every login, no user is invented', async () => {
    const { registry } = await start('auth-bootstrap', ['auth.enabled=true']);
    const caPem = readFileSync(ca);
    assert.is((await httpsRequest(`https://${registry.host}/v2/`, caPem)).status, 401);
    const r = await httpsRequest(`https://${registry.host}/v2/`, caPem, { headers: { Authorization: basicAuthorization('push', pushPw) } });
    assert.is(r.status, 401);
    assert.not.match(registry.log(), /provisioning with default user|password=/, 'Distribution must not create a default user (it logs its password)');
    await registry.stop();
  });
}

test.run();
