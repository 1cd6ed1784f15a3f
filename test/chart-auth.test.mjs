// What the chart renders for Distribution 3, auth and the NetworkPolicy, with the real Helm 4 and 3:
// `helm lint --strict` with everything on, every object valid against the Kubernetes schema, the
// registry env (log level, debug server, OTEL, deletes, htpasswd), the init container that copies
// the htpasswd file, the signer's auth env and Role, node trust's pull credential and the policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { HELMS, buildChart, find, helmTemplate, runHelm, tempDir, validateObject } from './helpers/chart.mjs';

const work = tempDir('creg-chart-auth-');
test.after(() => rmSync(work, { recursive: true, force: true }));
let built;
try {
  built = await buildChart({ outputDir: join(work, 'out') });
} catch (err) {
  rmSync(work, { recursive: true, force: true });
  throw err;
}
const FULL = 'eyoh-creg';
const ALL_ON = join(work, 'all-on.yaml');
writeFileSync(
  ALL_ON,
  [
    'registry: { kind: Deployment, deleteEnabled: false, logLevel: warn, debug: { enabled: true, port: 5099 }, tracing: true }',
    'auth: { enabled: true, pushUser: ci-push, pullUser: kubelet }',
    'nodeTrust: { pullCredentials: true }',
    'networkPolicy: { enabled: true, nodeCIDRs: [192.168.0.0/16, "fd00::/64"], namespaces: [ci, build], podSelectors: [{ app: runner, tier: ci }] }',
    '',
  ].join('\n'),
);
const envOf = (c) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
const registryPod = (objs) => (objs.find((o) => o.kind === 'Deployment') ?? find(objs, 'ReplicationController')).spec.template.spec;

for (const h of HELMS) {
  const V = `[${h.label}]`;

  test(`${V} helm lint --strict passes with auth, pull credentials, debug server and NetworkPolicy on`, () => {
    const r = runHelm(h.bin, ['lint', '--strict', built.chartDir, '-f', ALL_ON]);
    assert.is(r.status, 0, r.stdout + r.stderr);
  });

  test(`${V} defaults: Distribution 3 env (info log, debug server off, no OTEL traces, deletes on), no auth, no policy`, () => {
    const objs = helmTemplate(h.bin, built.chartDir);
    const pod = registryPod(objs);
    const env = envOf(pod.containers.find((c) => c.name === 'registry'));
    assert.is(env.REGISTRY_LOG_LEVEL, 'info');
    assert.is(env.REGISTRY_HTTP_DEBUG_ADDR, '""');
    assert.is(env.OTEL_TRACES_EXPORTER, 'none');
    assert.is(env.REGISTRY_STORAGE_DELETE_ENABLED, 'true');
    assert.not.ok('REGISTRY_AUTH_HTPASSWD_PATH' in env);
    assert.not.ok(pod.volumes.some((v) => v.name.startsWith('auth')));
    assert.not.ok(objs.some((o) => o.kind === 'NetworkPolicy'));
    assert.not.ok(find(objs, 'Pod', `${FULL}-test`).spec.volumes.some((v) => v.name === 'pull'));
    const images = objs.flatMap((o) => {
      const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      return spec ? [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image) : [];
    });
    assert.equal([...new Set(images)].sort(), ['busybox:1.37', 'node:24-alpine', 'registry:3.1.2'], 'only currently supported images');
  });

  test(`${V} everything on: objects valid; registry env, htpasswd init copy, signer auth env and Role, node trust credential, policy`, () => {
    const objs = helmTemplate(h.bin, built.chartDir, ['-f', ALL_ON]);
    for (const o of objs) {
      if (o.kind === 'NetworkPolicy') new NetworkPolicy(o).validate();
      else validateObject(o);
    }
    const pod = registryPod(objs);
    const reg = pod.containers.find((c) => c.name === 'registry');
    const env = envOf(reg);
    assert.is(env.REGISTRY_STORAGE_DELETE_ENABLED, 'false');
    assert.is(env.REGISTRY_LOG_LEVEL, 'warn');
    assert.is(env.REGISTRY_HTTP_DEBUG_ADDR, '127.0.0.1:5099');
    assert.not.ok('OTEL_TRACES_EXPORTER' in env, 'tracing: true leaves OTEL_* to the user');
    assert.is(env.REGISTRY_AUTH_HTPASSWD_PATH, '/auth/htpasswd');
    assert.is(env.REGISTRY_AUTH_HTPASSWD_REALM, `${FULL} registry`);
    assert.equal(reg.ports.map((p) => p.containerPort), [5000], 'the debug port is not a container port');
    assert.ok(reg.volumeMounts.some((m) => m.name === 'auth' && m.mountPath === '/auth' && m.readOnly));
    const init = pod.initContainers.find((c) => c.name === 'tls-setup');
    assert.equal(init.command.slice(-4), ['--htpasswd-from', '/auth-secret/htpasswd', '--htpasswd-to', '/auth/htpasswd']);
    const authSecret = pod.volumes.find((v) => v.name === 'auth-secret').secret;
    // 0440 + fsGroup, like the TLS Secret: the non-root tls-setup (registry.runAsUser) must read it.
    assert.equal(authSecret, { secretName: `${FULL}-htpasswd`, optional: true, defaultMode: 0o440, items: [{ key: 'htpasswd', path: 'htpasswd' }] });
    assert.equal(pod.securityContext.fsGroup, pod.securityContext.runAsGroup, 'the Secret group is the pod group');
    assert.is(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.volumes.find((v) => v.name === 'auth').emptyDir, { medium: 'Memory', sizeLimit: '1Mi' });

    const job = find(objs, 'Job', `${FULL}-signer`);
    const jenv = envOf(job.spec.template.spec.containers[0]);
    assert.equal(
      { m: jenv.AUTH_MODE, h: jenv.AUTH_HTPASSWD_SECRET, pu: jenv.AUTH_PUSH_SECRET, pl: jenv.AUTH_PULL_SECRET, u1: jenv.AUTH_PUSH_USER, u2: jenv.AUTH_PULL_USER, p: jenv.REGISTRY_PORT },
      { m: 'generate', h: `${FULL}-htpasswd`, pu: `${FULL}-push`, pl: `${FULL}-pull`, u1: 'ci-push', u2: 'kubelet', p: '5000' },
    );
    const role = find(objs, 'Role', `${FULL}-signer`);
    const named = role.rules.find((r) => r.resources[0] === 'secrets' && r.resourceNames);
    assert.equal(named.resourceNames, [`${FULL}-ca`, `${FULL}-tls`, `${FULL}-ca-pin`, `${FULL}-htpasswd`, `${FULL}-push`, `${FULL}-pull`]);

    const ds = find(objs, 'DaemonSet', `${FULL}-node-trust`).spec.template.spec;
    const c = ds.containers[0];
    assert.is(envOf(c).AUTH_HEADER_FILE, '/pull/authorization');
    assert.equal(ds.volumes.find((v) => v.name === 'pull').secret, { secretName: `${FULL}-pull`, optional: true, defaultMode: 256, items: [{ key: 'authorization', path: 'authorization' }] });

    const np = find(objs, 'NetworkPolicy', `${FULL}-registry`);
    assert.equal(np.spec.ingress.length, 1);
    assert.equal(np.spec.ingress[0].ports, [{ protocol: 'TCP', port: 5000 }], 'only the registry port, never the debug port');
    assert.equal(np.spec.ingress[0].from.slice(1), [
      { ipBlock: { cidr: '192.168.0.0/16' } },
      { ipBlock: { cidr: 'fd00::/64' } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'build' } } },
      { podSelector: { matchLabels: { app: 'runner', tier: 'ci' } } },
    ]);
    const testPod = find(objs, 'Pod', `${FULL}-test`);
    const first = np.spec.ingress[0].from[0].podSelector.matchLabels;
    for (const [k, v] of Object.entries(first)) assert.is(testPod.metadata.labels[k], v, `the test Pod matches the policy's ${k}`);
  });

  test(`${V} NetworkPolicy with metrics: the metrics port only for the scrapers named, and no rule when none is`, () => {
    const base = ['--set', 'networkPolicy.enabled=true', '--set', 'metrics.enabled=true', '--set', 'networkPolicy.nodeCIDRs={10.0.0.0/16}'];
    const policy = (extra) => {
      const np = find(helmTemplate(h.bin, built.chartDir, [...base, ...extra]), 'NetworkPolicy', `${FULL}-registry`);
      new NetworkPolicy(np).validate();
      assert.equal(np.spec.ingress[0].ports, [{ protocol: 'TCP', port: 5000 }]);
      return np.spec.ingress.slice(1);
    };
    const prometheus = ['--set', 'networkPolicy.metrics.podSelectors[0].app\\.kubernetes\\.io/name=prometheus'];
    const ns = (name) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
    const pods = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
    // Both: each pair of namespace and label set (one peer, both selectors: AND).
    assert.equal(policy(['--set', 'networkPolicy.metrics.namespaces={monitoring,obs}', ...prometheus]), [
      { ports: [{ protocol: 'TCP', port: 5001 }], from: [{ ...ns('monitoring'), ...pods }, { ...ns('obs'), ...pods }] },
    ]);
    assert.equal(policy(['--set', 'networkPolicy.metrics.namespaces={monitoring}']), [{ ports: [{ protocol: 'TCP', port: 5001 }], from: [ns('monitoring')] }]);
    assert.equal(policy([...prometheus, '--set', 'metrics.port=9100']), [{ ports: [{ protocol: 'TCP', port: 9100 }], from: [pods] }]);
    // No scraper named: no rule at all (a rule with an empty `from` would admit every source).
    assert.equal(policy([]), []);
    // Metrics off: the scrapers open nothing.
    const off = find(helmTemplate(h.bin, built.chartDir, ['--set', 'networkPolicy.enabled=true', '--set', 'networkPolicy.metrics.namespaces={monitoring}']), 'NetworkPolicy', `${FULL}-registry`);
    assert.is(off.spec.ingress.length, 1);
    if (h.label === 'helm4') {
      // Helm 3 needs a reachable cluster even for `install --dry-run=client`.
      const r = runHelm(h.bin, ['install', 'eyoh', built.chartDir, '--dry-run=client', ...base]);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout.slice(r.stdout.indexOf('NOTES:')), 'WARNING: metrics.enabled with networkPolicy.enabled, but networkPolicy.metrics names no scraper');
      const named = runHelm(h.bin, ['install', 'eyoh', built.chartDir, '--dry-run=client', ...base, '--set', 'networkPolicy.metrics.namespaces={monitoring}']);
      assert.not.match(named.stdout, 'names no scraper');
    }
  });

  test(`${V} auth.existingSecret: the registry and the signer use it; no generated names in the registry pod`, () => {
    const objs = helmTemplate(h.bin, built.chartDir, ['--set', 'auth.enabled=true', '--set', 'auth.existingSecret=my-users']);
    assert.is(registryPod(objs).volumes.find((v) => v.name === 'auth-secret').secret.secretName, 'my-users');
    const jenv = envOf(find(objs, 'Job', `${FULL}-signer`).spec.template.spec.containers[0]);
    assert.is(jenv.AUTH_MODE, 'existing');
    assert.is(jenv.AUTH_HTPASSWD_SECRET, 'my-users');
    // nodeTrust.pullCredentials without auth writes no credential
    const plain = helmTemplate(h.bin, built.chartDir, ['--set', 'nodeTrust.pullCredentials=true']);
    assert.not.ok('AUTH_HEADER_FILE' in envOf(find(plain, 'DaemonSet', `${FULL}-node-trust`).spec.template.spec.containers[0]));
  });

  test(`${V} bad values are refused by the schema with the field named`, () => {
    for (const [set, field] of [
      ['registry.logLevel=trace', 'logLevel'],
      ['registry.debug.port=80', 'port'],
      ['auth.existingSecret=Not_A_Name', 'existingSecret'],
      ['networkPolicy.nodeCIDRs={10.0.0.1}', 'nodeCIDRs'],
      ['networkPolicy.metrics.namespaces={Not_A_Namespace}', 'namespaces'],
      ['networkPolicy.metrics.bogus=1', 'bogus'],
    ]) {
      const r = runHelm(h.bin, ['template', 'eyoh', built.chartDir, '--set', set]);
      assert.is.not(r.status, 0, set);
      assert.match(r.stderr, new RegExp(field), `${set}: ${r.stderr}`);
    }
  });
}

test.run();
