// Auth and NetworkPolicy in a real control plane (test/cluster/harness.mjs, kwok nodes, Helm 4):
// - helm install with auth.enabled, nodeTrust.pullCredentials and networkPolicy.enabled: the API
//   server accepts the NetworkPolicy as rendered;
// - the shipped signer (run as the hook Job with the chart's ServiceAccount, so RBAC is as granted)
//   creates the htpasswd, push and pull Secrets once: bcrypt entries that accept the stored
//   passwords, an image pull Secret (kubernetes.io/dockerconfigjson) for <ClusterIP>:<port> with
//   the pull user only, and no password in its log;
// - a second run, helm upgrade and helm rollback keep the three Secrets (same uid and
//   resourceVersion) and restart nothing for auth;
// - auth.existingSecret: the signer uses the operator's Secret and makes the pull Secret from its
//   pull-username/pull-password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/chart.mjs';
import { clusterTestsEnabled, kubectlPath } from './harness.mjs';
import { lifecycleContext } from './lifecycle.mjs';
import { htpasswdAccepts, htpasswdLine, newPassword } from '../../dist/signer/auth.mjs';

const NS = 'auth';
const REL = 'eyoh';
const FULL = 'eyoh-creg';
const SEL = `app.kubernetes.io/instance=${REL},app.kubernetes.io/component=registry`;
const b64d = (s) => Buffer.from(s ?? '', 'base64').toString('utf8');

if (clusterTestsEnabled(test, 'test/cluster/auth-netpol.test.mjs')) {
  const ctx = lifecycleContext('helm4');
  const state = {};
  let startError;
  test.before(async () => {
    try {
      await ctx.start();
    } catch (e) {
      startError = e;
      console.error(`could not start: ${e.stack || e}`);
    }
  });
  test.before.each(() => {
    if (startError) throw new Error(`the control plane or the chart build failed: ${startError.message.split('\n')[0]}`);
  });
  test.after(async () => {
    await ctx.stop();
    console.log(`  timings: ${ctx.timings.map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join('; ')}`);
  });

  const signerOk = (r) => assert.is(r.code, 0, `signer exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  const authSecrets = async () => Promise.all(['htpasswd', 'push', 'pull'].map((s) => ctx.secret(NS, `${FULL}-${s}`)));
  const ids = (secrets) => secrets.map((s) => `${s.metadata.name}:${s.metadata.uid}:${s.metadata.resourceVersion}`);
  const SET = ['--set', 'auth.enabled=true', '--set', 'nodeTrust.pullCredentials=true', '--set', 'networkPolicy.enabled=true',
    '--set', 'networkPolicy.nodeCIDRs={10.0.0.0/16}', '--set', 'networkPolicy.namespaces={ci}', '--set', 'networkPolicy.podSelectors[0].app=builder'];

  test('helm install with auth, pull credentials and a NetworkPolicy: the API server accepts the policy as rendered', async () => {
    ctx.helmOk(['install', REL, ctx.chart.tgz, '-n', NS, '--create-namespace', '--wait=watcher', '--timeout', '3m', ...SET]);
    const np = await ctx.get(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies/${FULL}-registry`);
    assert.ok(np, 'NetworkPolicy exists');
    assert.equal(np.spec.policyTypes, ['Ingress']);
    assert.equal(np.spec.podSelector.matchLabels, { 'app.kubernetes.io/name': 'creg', 'app.kubernetes.io/instance': REL, 'app.kubernetes.io/component': 'registry' });
    const [rule] = np.spec.ingress;
    assert.equal(rule.ports, [{ protocol: 'TCP', port: 5000 }]);
    assert.equal(rule.from, [
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'creg', 'app.kubernetes.io/instance': REL, 'app.kubernetes.io/component': 'test' } } },
      { ipBlock: { cidr: '10.0.0.0/16' } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } } },
      { podSelector: { matchLabels: { app: 'builder' } } },
    ]);
    assert.equal(await authSecrets(), [null, null, null], 'no auth Secret before the signer ran');
    state.pods = await ctx.readyPods(NS, SEL, 1);
  });

  test('the signer creates the htpasswd, push and pull Secrets once; the pull Secret covers ClusterIP:port with the pull user only', async () => {
    const r = await ctx.runSigner(NS, REL, 'post-install');
    signerOk(r);
    const [htpasswd, push, pull] = await authSecrets();
    assert.is(push.type, 'kubernetes.io/basic-auth');
    assert.is(pull.type, 'kubernetes.io/dockerconfigjson');
    const file = b64d(htpasswd.data.htpasswd);
    assert.match(file, /^push:\$2y\$10\$/m);
    assert.match(file, /^pull:\$2y\$10\$/m);
    const pushPw = b64d(push.data.password);
    const pullPw = b64d(pull.data.password);
    assert.is(b64d(push.data.username), 'push');
    assert.ok(pushPw.length >= 32 && pullPw.length >= 32 && pushPw !== pullPw);
    assert.ok(htpasswdAccepts(file, 'push', pushPw) && htpasswdAccepts(file, 'pull', pullPw), 'the stored passwords match the htpasswd entries');
    const ip = (await ctx.service(NS, 'registry-svc')).spec.clusterIP;
    const cfg = JSON.parse(b64d(pull.data['.dockerconfigjson']));
    assert.ok(cfg.auths[`${ip}:5000`], JSON.stringify(Object.keys(cfg.auths)));
    for (const a of Object.values(cfg.auths)) {
      assert.is(a.username, 'pull');
      assert.is(b64d(a.auth), `pull:${pullPw}`);
    }
    assert.is(b64d(pull.data.authorization), `Basic ${Buffer.from(`pull:${pullPw}`).toString('base64')}`);
    for (const secret of [pushPw, pullPw]) assert.not.ok((r.stdout + r.stderr).includes(secret), 'no password in the signer log');
    assert.match(r.stdout, /generating registry users push \(push\) and pull \(pull\)/);
    // The pods started before the users existed (empty htpasswd): each was restarted once.
    assert.is(r.restarts, 1, r.stdout);
    const tls = await ctx.secret(NS, `${FULL}-tls`);
    assert.match(tls.metadata.annotations['creg-chart/htpasswd-sha256'], /^[0-9a-f]{64}$/);
    state.ids = ids(await authSecrets());
    state.passwords = [pushPw, pullPw];
  });

  test('a second signer run, helm upgrade and helm rollback keep the auth Secrets (same uid and resourceVersion), no restarts for auth', async () => {
    let r = await ctx.runSigner(NS, REL, 'post-install');
    signerOk(r);
    assert.match(r.stdout, /reusing the registry users push .* and pull/);
    assert.match(r.stdout, /keeping image pull Secret/);
    assert.is(r.restarts, 0, r.stdout);
    assert.equal(ids(await authSecrets()), state.ids);

    ctx.helmOk(['upgrade', REL, ctx.chart.tgz, '-n', NS, '--wait=watcher', '--timeout', '3m', ...SET, '--set', 'registry.logLevel=warn']);
    r = await ctx.runSigner(NS, REL, 'post-upgrade');
    signerOk(r);
    assert.match(r.stdout, /reusing the registry users/);
    assert.equal(ids(await authSecrets()), state.ids, 'upgrade kept the auth Secrets');

    ctx.helmOk(['rollback', REL, '1', '-n', NS, '--wait=watcher', '--timeout', '3m']);
    r = await ctx.runSigner(NS, REL, 'post-rollback');
    signerOk(r);
    assert.equal(ids(await authSecrets()), state.ids, 'rollback kept the auth Secrets');
    assert.not.match(r.stdout, /htpasswd file changed|auth is on: registry pods will be restarted/);
    const [, push, pull] = await authSecrets();
    assert.equal([b64d(push.data.password), b64d(pull.data.password)], state.passwords);
  });

  test('creg-chart trust --release prints a docker login that pipes the password; --show-password prints it', () => {
    const root = join(ctx.work, 'ws-root');
    mkdirSync(join(root, 'etc', 'docker'), { recursive: true });
    const cli = (extra) => spawnSync(process.execPath, [join(ROOT, 'bin', 'creg-chart.js'), 'trust', '--release', REL, '-n', NS, '--kubeconfig', ctx.cluster.kubeconfig, '--root', root, ...extra], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECTL: kubectlPath() },
    });
    let r = cli([]);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kubectl --kubeconfig \S+ -n auth get secret eyoh-creg-push -o 'jsonpath=\{\.data\.password\}' \| base64 -d \| docker login 10\.96\.\d+\.\d+:5000 --username "\$\(kubectl .* get secret eyoh-creg-push -o 'jsonpath=\{\.data\.username\}' \| base64 -d\)" --password-stdin/);
    for (const secret of state.passwords) assert.not.ok(r.stdout.includes(secret) || r.stderr.includes(secret), 'no password without --show-password');
    r = cli(['--show-password']);
    assert.is(r.status, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(`push user: push\npassword: ${state.passwords[0]}`), r.stdout);
  });

  test('helm uninstall keeps the auth Secrets (like the CA); the release record holds no password', async () => {
    const manifest = ctx.helmOk(['get', 'all', REL, '-n', NS]).stdout;
    for (const secret of state.passwords) assert.not.ok(manifest.includes(secret), 'no password in the release');
    ctx.helmOk(['uninstall', REL, '-n', NS, '--wait', '--timeout', '2m']);
    assert.equal(ids(await authSecrets()), state.ids);
  });

  test('auth.existingSecret: the signer uses the operator\'s htpasswd and makes the pull Secret from its pull credentials', async () => {
    const ns = 'byo';
    const pw = newPassword();
    const created = await ctx.cluster.request('POST', `/api/v1/namespaces`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    assert.is(created.status, 201, created.body);
    const mine = await ctx.cluster.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'my-htpasswd' },
      stringData: { htpasswd: `${htpasswdLine('ci', pw)}\n`, 'pull-username': 'ci', 'pull-password': pw },
    });
    assert.is(mine.status, 201, mine.body);
    ctx.helmOk(['install', REL, ctx.chart.tgz, '-n', ns, '--wait=watcher', '--timeout', '3m', '--set', 'auth.enabled=true', '--set', 'auth.existingSecret=my-htpasswd']);
    const rc = await ctx.rc(ns, FULL);
    const vol = rc.spec.template.spec.volumes.find((v) => v.name === 'auth-secret');
    assert.is(vol.secret.secretName, 'my-htpasswd');
    const r = await ctx.runSigner(ns, REL, 'post-install');
    signerOk(r);
    assert.match(r.stdout, /using the htpasswd file of Secret my-htpasswd/);
    assert.is(await ctx.secret(ns, `${FULL}-htpasswd`), null, 'no generated htpasswd Secret');
    assert.is(await ctx.secret(ns, `${FULL}-push`), null, 'no generated push user');
    const pull = await ctx.secret(ns, `${FULL}-pull`);
    const cfg = JSON.parse(b64d(pull.data['.dockerconfigjson']));
    assert.ok(Object.values(cfg.auths).every((a) => a.username === 'ci' && a.password === pw));
    assert.not.ok((r.stdout + r.stderr).includes(pw));
  });

  test.run();
}
