// The signer's auth pieces (src/signer/auth.mts, prepare.mts), from the compiled modules and the
// bundled signer.js: bcrypt htpasswd lines that apache2-utils' htpasswd verifies, the hook's
// AUTH_* environment and its errors, the pull Secret's .dockerconfigjson, and the init container's
// htpasswd copy (or empty file) without ever printing a hash or password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIGNER_BUNDLE, tempDir } from './helpers/chart.mjs';
import { have } from './helpers/registry.mjs';
import {
  AuthConfigError,
  basicAuthorization,
  dockerConfigJson,
  htpasswdAccepts,
  htpasswdLine,
  newPassword,
  readAuthConfig,
  registryAddresses,
} from '../dist/signer/auth.mjs';

const work = tempDir('creg-signer-auth-');
test.after(() => rmSync(work, { recursive: true, force: true }));

const ENV = {
  AUTH_MODE: 'generate',
  AUTH_HTPASSWD_SECRET: 'eyoh-creg-htpasswd',
  AUTH_PUSH_SECRET: 'eyoh-creg-push',
  AUTH_PULL_SECRET: 'eyoh-creg-pull',
  AUTH_PUSH_USER: 'push',
  AUTH_PULL_USER: 'pull',
  REGISTRY_PORT: '5000',
};

test('readAuthConfig: off when unset or off; the chart\'s env; clear errors naming the variable', () => {
  assert.is(readAuthConfig({}), null);
  assert.is(readAuthConfig({ AUTH_MODE: 'off' }), null);
  assert.equal(readAuthConfig(ENV), {
    mode: 'generate', htpasswdSecret: 'eyoh-creg-htpasswd', pushSecret: 'eyoh-creg-push', pullSecret: 'eyoh-creg-pull', pushUser: 'push', pullUser: 'pull', registryPort: 5000,
  });
  for (const [change, msg] of [
    [{ AUTH_MODE: 'on' }, /AUTH_MODE="on" must be off, generate or existing/],
    [{ AUTH_PUSH_USER: 'a:b' }, /AUTH_PUSH_USER="a:b" is not a user name/],
    [{ AUTH_PULL_SECRET: '' }, /AUTH_PULL_SECRET="" is not a Kubernetes object name/],
    [{ REGISTRY_PORT: '70000' }, /REGISTRY_PORT="70000" must be a port number/],
  ]) {
    assert.throws(() => readAuthConfig({ ...ENV, ...change }), (e) => e instanceof AuthConfigError && msg.test(e.message));
  }
});

test('htpasswdLine: $2y$ bcrypt (cost 10) that our check and apache2-utils\' htpasswd -v accept; wrong passwords refused', () => {
  const pw = newPassword();
  assert.match(pw, /^[A-Za-z0-9_-]{32}$/);
  assert.is.not(newPassword(), pw);
  const line = htpasswdLine('push', pw);
  assert.match(line, /^push:\$2y\$10\$[./A-Za-z0-9]{53}$/);
  assert.ok(htpasswdAccepts(`pull:x\n${line}\n`, 'push', pw));
  assert.not.ok(htpasswdAccepts(line, 'push', 'wrong'));
  assert.not.ok(htpasswdAccepts(line, 'other', pw));
  if (have('htpasswd')) {
    const file = join(work, 'htpasswd');
    writeFileSync(file, `${line}\n`);
    const ok = spawnSync('htpasswd', ['-vi', file, 'push'], { input: `${pw}\n`, encoding: 'utf8' });
    assert.is(ok.status, 0, ok.stderr);
    const bad = spawnSync('htpasswd', ['-vi', file, 'push'], { input: 'wrong\n', encoding: 'utf8' });
    assert.is.not(bad.status, 0);
  } else if (process.env.CI) {
    assert.unreachable('htpasswd (apache2-utils) is required when CI is set');
  }
});

test('the pull Secret: .dockerconfigjson auths for every ClusterIP:port and Service name, and the Authorization header', () => {
  const addrs = registryAddresses(['10.96.0.10', 'fd00::a'], ['registry-svc.registry.svc'], 5000);
  assert.equal(addrs, ['10.96.0.10:5000', '[fd00::a]:5000', 'registry-svc.registry.svc:5000']);
  const cfg = JSON.parse(dockerConfigJson(addrs, 'pull', 'secret'));
  assert.equal(Object.keys(cfg.auths), addrs);
  assert.equal(cfg.auths['10.96.0.10:5000'], { username: 'pull', password: 'secret', auth: Buffer.from('pull:secret').toString('base64') });
  assert.is(basicAuthorization('pull', 'secret'), `Basic ${Buffer.from('pull:secret').toString('base64')}`);
});

test('prepare-tls --htpasswd-*: copies bcrypt entries (0600), or writes an empty file while the Secret is missing; never prints them', () => {
  const run = (from, to) => spawnSync(process.execPath, [SIGNER_BUNDLE, 'prepare-tls', '--from', join(work, 'no-tls'), '--to', join(work, 'certs'), '--htpasswd-from', from, '--htpasswd-to', to], { encoding: 'utf8' });
  mkdirSync(join(work, 'secret'));
  const line = htpasswdLine('push', 'pw');
  writeFileSync(join(work, 'secret', 'htpasswd'), `# a comment\n${line}\n\nnot-bcrypt:{SHA}abc\n`);
  mkdirSync(join(work, 'auth'));
  let r = run(join(work, 'secret', 'htpasswd'), join(work, 'auth', 'htpasswd'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /using the htpasswd file from .* \(1 bcrypt user\)/);
  assert.is(readFileSync(join(work, 'auth', 'htpasswd'), 'utf8'), `${line}\n`);
  assert.is(statSync(join(work, 'auth', 'htpasswd')).mode & 0o777, 0o600);
  assert.not.match(r.stdout + r.stderr, /\$2y\$/);
  r = run(join(work, 'missing', 'htpasswd'), join(work, 'auth', 'htpasswd'));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /does not exist yet .* wrote an empty htpasswd file .* every login is refused until the signer hook restarts this pod/);
  assert.is(readFileSync(join(work, 'auth', 'htpasswd'), 'utf8'), '');
  writeFileSync(join(work, 'secret', 'htpasswd'), 'md5user:$apr1$abc$def\n');
  r = run(join(work, 'secret', 'htpasswd'), join(work, 'auth', 'htpasswd'));
  assert.match(r.stdout, /has no bcrypt entries \(USER:\$2y\$\.\.\.\): Distribution accepts bcrypt only/);
  r = spawnSync(process.execPath, [SIGNER_BUNDLE, 'prepare-tls', '--from', 'a', '--to', join(work, 'c2'), '--htpasswd-from', 'x'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /--htpasswd-from FILE and --htpasswd-to FILE go together/);
});

test('in-cluster with a bad AUTH_MODE stops before touching the API, with a sentence', () => {
  const r = spawnSync(process.execPath, [SIGNER_BUNDLE, 'in-cluster'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, POD_NAMESPACE: 'ns', SERVICE_NAME: 's', CA_STORE: 'c', TLS_STORE: 't', WORKLOAD_KIND: 'Deployment', WORKLOAD_NAME: 'w', POD_SELECTOR: 'a=b', AUTH_MODE: 'yes', KUBE_API_URL: 'http://127.0.0.1:9' },
  });
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /signer: error: AUTH_MODE="yes" must be off, generate or existing/);
});

test.run();
