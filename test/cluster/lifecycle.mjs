// The chart's life in a real control plane (test/cluster/harness.mjs), with
// one Helm major version per test file (lifecycle-helm3/-helm4.test.mjs):
// install --wait, the signer run for real against the API server, a second
// signer run, upgrade, rollback, uninstall, re-install, fixed clusterIP.
//
// What kwok fakes: there are no kubelets. kwok marks every scheduled pod
// Running and Ready (init containers, hostPath volumes, probes and images are
// never looked at) and completes Job pods. So Helm's hook Job "succeeds"
// without running anything; the tests then run the very program the chart
// ships (signer.js from the installed ConfigMap) outside the cluster, with the
// hook Job's environment and a TokenRequest token of the chart's
// ServiceAccount, so what it does to the API is real and RBAC is as granted.
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { repoRoot, startCluster } from './harness.mjs';

export const HELMS = {
  helm3: { label: 'Helm 3.17', bin: join(repoRoot, 'node_modules', '.creg-chart', 'helm3', 'helm'), wait: ['--wait'], waitAlt: ['--wait'] },
  // Helm 4: the kstatus watcher (what `--wait` means there) and, for the
  // fixed-clusterIP release, the Helm 3-style "legacy" waiter.
  helm4: { label: 'Helm 4.1', bin: join(repoRoot, 'node_modules', '.creg-chart', 'helm4', 'helm'), wait: ['--wait=watcher'], waitAlt: ['--wait=legacy'] },
};

/**
 * Fake nodes: two carry the chart's default registry label node=registry; the
 * upgrade moves the registry to registry-tier=nas (node-reg-2 and node-nas-1);
 * node-plain-1 has neither and must never get a registry or mount pod.
 */
export const NODES = [
  { name: 'node-reg-1', labels: { node: 'registry' } },
  { name: 'node-reg-2', labels: { node: 'registry', 'registry-tier': 'nas' } },
  { name: 'node-nas-1', labels: { 'registry-tier': 'nas' } },
  { name: 'node-plain-1', labels: {} },
];
const ALL_NODES = NODES.map((n) => n.name).sort();
const nodesWith = (k, v) => NODES.filter((n) => n.labels[k] === v).map((n) => n.name).sort();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64d = (s) => Buffer.from(s ?? '', 'base64').toString('utf8');
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Builds the chart with the real `creg-chart build` (dist/ must be compiled). */
export function buildChartWithCli(outputDir) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'creg-chart.js'), 'build', '--output-dir', outputDir], {
    encoding: 'utf8', cwd: repoRoot, timeout: 120000,
  });
  if (r.status !== 0) throw new Error(`creg-chart build exited ${r.status}: ${r.stderr}${r.stdout}`);
  const tgz = readdirSync(outputDir).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`creg-chart build left ${tgz.length} .tgz files in ${outputDir}`);
  return { tgz: join(outputDir, tgz[0]), chartDir: join(outputDir, tgz[0].replace(/-[^-]+\.tgz$/, '')) };
}

export function parseManifests(text) {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o != null);
}

/** IP and DNS SANs of a PEM certificate. */
export function sansOf(pem) {
  const parts = (new X509Certificate(pem).subjectAltName || '').split(/,\s*/).filter(Boolean);
  return {
    ips: parts.filter((p) => p.startsWith('IP Address:')).map((p) => p.slice('IP Address:'.length)),
    dns: parts.filter((p) => p.startsWith('DNS:')).map((p) => p.slice(4)),
  };
}

/**
 * Everything a test needs against one cluster with one helm binary.
 * Call `await ctx.start()` first and `await ctx.stop()` at the end.
 */
export function lifecycleContext(helmKey) {
  const helmInfo = HELMS[helmKey];
  const ctx = { helm: helmInfo, timings: [] };
  let work;

  ctx.start = async () => {
    const t0 = Date.now();
    work = mkdtempSync(join(tmpdir(), `creg-lifecycle-${helmKey}-`));
    ctx.work = work;
    try {
      ctx.chart = buildChartWithCli(join(work, 'out'));
      ctx.cluster = await startCluster({ nodes: NODES });
    } catch (e) {
      // uvu skips after-hooks when a before-hook throws: clean up here.
      await ctx.stop();
      throw e;
    }
    ctx.timings.push(['cluster start', ctx.cluster.startupMs]);
    ctx.timings.push(['chart build + cluster start', Date.now() - t0]);
  };

  ctx.stop = async () => {
    try {
      if (ctx.cluster) await ctx.cluster.stop();
    } finally {
      if (work) rmSync(work, { recursive: true, force: true });
    }
  };

  /** Runs helm against the test cluster; never throws. */
  ctx.helmRun = (args, { timeoutMs = 300000, bin = helmInfo.bin } = {}) => {
    const t0 = Date.now();
    const r = spawnSync(bin, args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env.PATH,
        HOME: work,
        KUBECONFIG: ctx.cluster.kubeconfig,
        HELM_CACHE_HOME: join(work, 'helm', 'cache'),
        HELM_CONFIG_HOME: join(work, 'helm', 'config'),
        HELM_DATA_HOME: join(work, 'helm', 'data'),
      },
    });
    const ms = Date.now() - t0;
    ctx.timings.push([`${bin === helmInfo.bin ? '' : 'other '}helm ${args.slice(0, 2).join(' ')}`, ms]);
    return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || (r.error ? String(r.error) : ''), ms };
  };

  /** helm that must succeed; returns its result. */
  ctx.helmOk = (args, o) => {
    const r = ctx.helmRun(args, o);
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.status} after ${secs(r.ms)}:\n${r.stderr}${r.stdout}`);
    return r;
  };

  /** GET as admin; null on 404; throws on other errors. */
  ctx.get = async (path) => {
    const r = await ctx.cluster.request('GET', path);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body}`);
    return r.json;
  };

  ctx.secret = (ns, name) => ctx.get(`/api/v1/namespaces/${ns}/secrets/${name}`);
  ctx.service = (ns, name) => ctx.get(`/api/v1/namespaces/${ns}/services/${name}`);
  ctx.rc = (ns, name) => ctx.get(`/api/v1/namespaces/${ns}/replicationcontrollers/${name}`);
  ctx.daemonSet = (ns, name) => ctx.get(`/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`);

  /** Pods of a selector that are not terminating, with what the tests compare. */
  ctx.pods = async (ns, selector) => {
    const list = await ctx.get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);
    return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({
      name: p.metadata.name,
      uid: p.metadata.uid,
      node: p.spec.nodeName,
      hash: p.metadata.annotations?.['creg-chart/values-hash'],
      ready: (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True'),
      port: p.spec.containers.find((c) => c.name === 'registry')?.ports?.[0]?.containerPort,
    })).sort((a, b) => a.name.localeCompare(b.name));
  };

  /** Polls fn until it returns a truthy value; throws with `what` and the last value on timeout. */
  ctx.waitFor = async (what, fn, timeoutMs = 60000) => {
    const until = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await fn();
      if (last && (!Array.isArray(last) || last.length)) return last;
      if (Date.now() > until) throw new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}`);
      await sleep(500);
    }
  };

  /** Waits until exactly `n` registry pods exist, all Ready, and returns them. */
  ctx.readyPods = async (ns, selector, n, extra = () => true) => ctx.waitFor(
    `${n} Ready pods with ${selector}`,
    async () => {
      const pods = await ctx.pods(ns, selector);
      return pods.length === n && pods.every((p) => p.ready && extra(p)) ? pods : null;
    },
    90000,
  );

  /** Node names the DaemonSet's pods are on (waits until it matches desiredNumberScheduled). */
  ctx.daemonSetNodes = async (ns, name) => ctx.waitFor(`DaemonSet ${name} pods`, async () => {
    const ds = await ctx.daemonSet(ns, name);
    const sel = Object.entries(ds.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await ctx.pods(ns, sel);
    const want = ds.status?.desiredNumberScheduled;
    return want !== undefined && pods.length === want && pods.every((p) => p.ready) ? pods.map((p) => p.node).sort() : null;
  });

  /** The hook Job for `event` from the release's stored hooks (what Helm created). */
  ctx.hookJob = (ns, release, event) => {
    const hooks = parseManifests(ctx.helmOk(['get', 'hooks', release, '-n', ns]).stdout);
    const jobs = hooks.filter((o) => o.kind === 'Job'
      && (o.metadata.annotations?.['helm.sh/hook'] || '').split(',').map((s) => s.trim()).includes(event));
    if (jobs.length !== 1) throw new Error(`expected one ${event} hook Job in release ${release}, found ${jobs.length}`);
    return jobs[0];
  };

  /** A TokenRequest token for a ServiceAccount (what the kubelet would mount into the hook pod). */
  ctx.tokenFor = async (ns, serviceAccount) => {
    const r = await ctx.cluster.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 },
    });
    if (r.status !== 201) throw new Error(`TokenRequest for ${ns}/${serviceAccount}: HTTP ${r.status} ${r.body}`);
    return r.json.status.token;
  };

  /**
   * Runs the hook Job's program as the Job would: its command, with /signer
   * replaced by the installed ConfigMap's files, its env (fieldRef namespace
   * resolved), and a token of its ServiceAccount (or `serviceAccount`).
   * Resolves { code, stdout, stderr, restarts, job, program }.
   */
  ctx.runSigner = async (ns, release, event, { serviceAccount, extraEnv = {} } = {}) => {
    const job = ctx.hookJob(ns, release, event);
    const spec = job.spec.template.spec;
    assert.is(spec.containers.length, 1, 'the hook Job has one container');
    const c = spec.containers[0];
    const env = {};
    for (const e of c.env || []) {
      if (e.valueFrom) {
        if (e.valueFrom.fieldRef?.fieldPath !== 'metadata.namespace') {
          throw new Error(`hook Job env ${e.name}: the test cannot resolve valueFrom ${JSON.stringify(e.valueFrom)}`);
        }
        env[e.name] = ns;
      } else {
        env[e.name] = e.value ?? '';
      }
    }
    const dir = mkdtempSync(join(work, 'hook-'));
    let argv = [...c.command, ...(c.args || [])];
    for (const m of c.volumeMounts || []) {
      const vol = spec.volumes.find((v) => v.name === m.name);
      if (!vol?.configMap) continue;
      const cm = await ctx.get(`/api/v1/namespaces/${ns}/configmaps/${vol.configMap.name}`);
      if (!cm) throw new Error(`ConfigMap ${vol.configMap.name} (volume ${m.name} of the hook Job) does not exist`);
      const local = join(dir, m.name);
      mkdirSync(local);
      for (const [k, v] of Object.entries(cm.data || {})) writeFileSync(join(local, k), v);
      argv = argv.map((a) => (a.startsWith(`${m.mountPath}/`) ? join(local, a.slice(m.mountPath.length + 1)) : a));
    }
    if (argv[0] !== 'node') throw new Error(`hook Job command ${JSON.stringify(c.command)} does not start with node`);
    argv[0] = process.execPath;
    const program = argv.find((a) => a.startsWith(dir));
    const sa = serviceAccount || spec.serviceAccountName;
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, await ctx.tokenFor(ns, sa), { mode: 0o600 });
    const t0 = Date.now();
    const out = await new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          ...env,
          ...extraEnv,
          KUBE_API_URL: ctx.cluster.apiUrl,
          KUBE_TOKEN_FILE: tokenFile,
          KUBE_CA_FILE: ctx.cluster.caFile,
        },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('error', reject);
      child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
    ctx.timings.push([`signer (${event}${serviceAccount ? `, as ${serviceAccount}` : ''})`, Date.now() - t0]);
    const programText = program ? readFileSync(program, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    return {
      ...out,
      job,
      env,
      programText,
      restarts: (out.stdout.match(/^signer: restarting pod /gm) || []).length,
    };
  };

  return ctx;
}

/**
 * The lifecycle scenarios for one Helm version, registered on an uvu `test`.
 * They run in order and build on each other (one release, revisions 1..3).
 */
export function defineLifecycleTests(test, helmKey) {
  const ctx = lifecycleContext(helmKey);
  const { wait, waitAlt, label } = HELMS[helmKey];
  const NS = 'creg';
  const REL = 'eyoh';
  const FULL = 'eyoh-creg'; // <release>-<chart name>
  const SVC = 'registry-svc';
  const SEL = `app.kubernetes.io/instance=${REL},app.kubernetes.io/component=registry`;
  const state = {};
  const t0 = Date.now();

  const signerOk = (r) => {
    if (r.code !== 0) {
      const pods = ctx.cluster.kubectl(['get', 'pods', '-A', '-o', 'wide', '--show-labels']);
      assert.unreachable(`signer exited ${r.code}:\n${r.stderr}\n${r.stdout}\npods now:\n${pods.stdout}${pods.stderr}`);
    }
  };
  const hasImmutableError = (r) => /immutable/i.test(`${r.stdout}${r.stderr}`);

  // uvu swallows a before-hook's error (its runner returns from `finally`):
  // keep it and fail every test with it instead.
  let startError;
  test.before(async () => {
    try {
      await ctx.start();
    } catch (e) {
      startError = e;
      console.error(`[${label}] could not start: ${e.stack || e}`);
      return;
    }
    console.log(`\n[${label}] chart built by creg-chart build; cluster up in ${secs(ctx.cluster.startupMs)} at ${ctx.cluster.apiUrl}`);
  });

  test.before.each(() => {
    if (startError) throw new Error(`the control plane or the chart build failed before the tests: ${startError.message.split('\n')[0]} (details above)`);
  });

  test.after(async () => {
    const total = Date.now() - t0;
    try {
      await ctx.stop();
    } finally {
      console.log(`[${label}] timings: ${ctx.timings.map(([k, ms]) => `${k} ${secs(ms)}`).join('; ')}`);
      console.log(`[${label}] wall time of this file's tests, cluster start and stop included: ${secs(Date.now() - t0)} (tests ${secs(total)})`);
    }
  });

  test(`${label}: helm install ${wait.join(' ')} completes; registry and mount pods only on labelled nodes`, async () => {
    const r = ctx.helmOk(['install', REL, ctx.chart.tgz, '-n', NS, '--create-namespace', ...wait, '--timeout', '3m',
      '--set', 'registry.replicas=2']);
    console.log(`[${label}] helm install ${wait.join(' ')}: ${secs(r.ms)}`);
    const status = JSON.parse(ctx.helmOk(['status', REL, '-n', NS, '-o', 'json']).stdout);
    assert.is(status.info.status, 'deployed');
    assert.is(status.version, 1);
    // the hook Job ran (completed by kwok) and was deleted by hook-succeeded
    assert.is(await ctx.get(`/apis/batch/v1/namespaces/${NS}/jobs/${FULL}-signer`), null, 'hook Job deleted after success');
    const pods = await ctx.readyPods(NS, SEL, 2);
    for (const p of pods) assert.ok(nodesWith('node', 'registry').includes(p.node), `${p.name} on ${p.node}`);
    assert.equal(await ctx.daemonSetNodes(NS, `${FULL}-nas-mount`), nodesWith('node', 'registry'));
    assert.equal(await ctx.daemonSetNodes(NS, `${FULL}-node-trust`), ALL_NODES);
    // nothing signed yet: the hook Job was only faked by kwok
    assert.is(await ctx.secret(NS, `${FULL}-ca`), null);
    assert.is(await ctx.secret(NS, `${FULL}-tls`), null);
    state.installPods = pods;
    state.http1 = (await ctx.secret(NS, `${FULL}-http-secret`)).data.REGISTRY_HTTP_SECRET;
    assert.ok(b64d(state.http1).length >= 32, 'REGISTRY_HTTP_SECRET generated');
  });

  test(`${label}: the signer with a ServiceAccount that lacks the chart's Role is refused (403) and changes nothing`, async () => {
    const r = await ctx.runSigner(NS, REL, 'post-install', { serviceAccount: 'default' });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Forbidden \(403\) to get services "registry-svc"/);
    assert.is(await ctx.secret(NS, `${FULL}-ca`), null);
  });

  test(`${label}: the shipped signer, as the post-install hook with the chart's ServiceAccount, signs for the allocated ClusterIP and recycles each pod once`, async () => {
    const r = await ctx.runSigner(NS, REL, 'post-install');
    signerOk(r);
    assert.is(r.programText, readFileSync(join(ctx.chart.chartDir, 'files', 'signer.js'), 'utf8'), 'installed signer.js is the built chart\'s files/signer.js');
    assert.is(r.job.spec.template.spec.serviceAccountName, `${FULL}-signer`);
    const svc = await ctx.service(NS, SVC);
    const ip = svc.spec.clusterIP;
    assert.match(ip, /^10\.96\.\d+\.\d+$/);
    const ca = await ctx.secret(NS, `${FULL}-ca`);
    assert.ok(ca, 'CA Secret exists');
    assert.ok(ca.data['ca.crt'] && ca.data['ca.key'], 'CA Secret has ca.crt and ca.key');
    const tls = await ctx.secret(NS, `${FULL}-tls`);
    assert.is(tls.type, 'kubernetes.io/tls');
    const cert = new X509Certificate(b64d(tls.data['tls.crt']));
    const caCert = new X509Certificate(b64d(ca.data['ca.crt']));
    assert.ok(cert.verify(caCert.publicKey), 'server certificate signed by the CA Secret\'s CA');
    const sans = sansOf(cert.toString());
    assert.equal(sans.ips, [ip], 'IP SAN is exactly the allocated ClusterIP');
    assert.ok(sans.dns.includes(`${SVC}.${NS}.svc.cluster.local`), sans.dns.join(','));
    assert.is(b64d(tls.data['ca.crt']), b64d(ca.data['ca.crt']));
    // every pod that served the bootstrap certificate was replaced, one at a time
    assert.is(r.restarts, state.installPods.length, r.stdout);
    const pods = await ctx.readyPods(NS, SEL, 2);
    const before = new Set(state.installPods.map((p) => p.uid));
    assert.ok(pods.every((p) => !before.has(p.uid)), 'all registry pods are new');
    state.ca = ca;
    state.tls = tls;
    state.ip = ip;
    state.signedPods = pods;
  });

  test(`${label}: a second signer run changes nothing (same CA, same certificate, no restarts), even with a stale service env hint`, async () => {
    // A kubelet's service env cache can lag (kubernetes#127463): the hint is
    // only logged; the API's ClusterIP wins.
    const r = await ctx.runSigner(NS, REL, 'post-install', { extraEnv: { REGISTRY_SVC_SERVICE_HOST: '10.96.9.9' } });
    signerOk(r);
    assert.match(r.stdout, /REGISTRY_SVC_SERVICE_HOST=10\.96\.9\.9 differs from the API's ClusterIP/);
    assert.match(r.stdout, /keeping the certificate/);
    assert.match(r.stdout, /no registry pod needs a restart/);
    assert.is(r.restarts, 0);
    assert.is((await ctx.secret(NS, `${FULL}-ca`)).metadata.resourceVersion, state.ca.metadata.resourceVersion);
    assert.is((await ctx.secret(NS, `${FULL}-tls`)).metadata.resourceVersion, state.tls.metadata.resourceVersion);
    assert.equal((await ctx.pods(NS, SEL)).map((p) => p.uid), state.signedPods.map((p) => p.uid));
  });

  test(`${label}: helm upgrade (replicas 3, port 5443, node label registry-tier=nas) updates objects, keeps CA and REGISTRY_HTTP_SECRET`, async () => {
    const values = join(ctx.work, 'upgrade.yaml');
    writeFileSync(values, 'registry:\n  replicas: 3\n  port: 5443\nnodeLabel:\n  key: registry-tier\n  value: nas\n');
    const r = ctx.helmRun(['upgrade', REL, ctx.chart.tgz, '-n', NS, '-f', values, ...wait, '--timeout', '3m']);
    assert.not.ok(hasImmutableError(r), `"immutable" in helm output:\n${r.stderr}${r.stdout}`);
    assert.is(r.status, 0, r.stderr + r.stdout);
    console.log(`[${label}] helm upgrade ${wait.join(' ')}: ${secs(r.ms)}`);
    const rc = await ctx.rc(NS, FULL);
    assert.is(rc.spec.replicas, 3);
    assert.equal(rc.spec.template.spec.nodeSelector, { 'registry-tier': 'nas' });
    assert.is(rc.spec.template.spec.containers.find((c) => c.name === 'registry').ports[0].containerPort, 5443);
    const svc = await ctx.service(NS, SVC);
    assert.is(svc.spec.ports[0].port, 5443);
    assert.is(svc.spec.clusterIP, state.ip, 'ClusterIP kept');
    assert.equal(await ctx.daemonSetNodes(NS, `${FULL}-nas-mount`), nodesWith('registry-tier', 'nas'));
    assert.is((await ctx.secret(NS, `${FULL}-http-secret`)).data.REGISTRY_HTTP_SECRET, state.http1, 'REGISTRY_HTTP_SECRET unchanged');

    // the post-upgrade hook, for real
    const stale = await ctx.pods(NS, SEL);
    const staleCount = stale.filter((p) => p.hash !== rc.spec.template.metadata.annotations['creg-chart/values-hash']).length;
    assert.is(staleCount, 2, 'the two pods from before the upgrade carry the old values hash');
    const s = await ctx.runSigner(NS, REL, 'post-upgrade');
    signerOk(s);
    assert.match(s.stdout, /keeping the certificate/);
    assert.is(s.restarts, staleCount, s.stdout);
    const wantHash = rc.spec.template.metadata.annotations['creg-chart/values-hash'];
    const pods = await ctx.readyPods(NS, SEL, 3, (p) => p.hash === wantHash);
    for (const p of pods) {
      assert.ok(nodesWith('registry-tier', 'nas').includes(p.node), `${p.name} on ${p.node}`);
      assert.is(p.port, 5443);
    }
    const ca = await ctx.secret(NS, `${FULL}-ca`);
    assert.is(ca.metadata.resourceVersion, state.ca.metadata.resourceVersion, 'CA Secret untouched');
    assert.is((await ctx.secret(NS, `${FULL}-tls`)).metadata.resourceVersion, state.tls.metadata.resourceVersion, 'same certificate (same ClusterIP)');
    assert.is((await ctx.secret(NS, `${FULL}-http-secret`)).data.REGISTRY_HTTP_SECRET, state.http1);
  });

  test(`${label}: helm rollback to revision 1 restores the objects; the post-rollback hook moves the pods back`, async () => {
    const r = ctx.helmRun(['rollback', REL, '1', '-n', NS, ...wait, '--timeout', '3m']);
    assert.not.ok(hasImmutableError(r), `"immutable" in helm output:\n${r.stderr}${r.stdout}`);
    assert.is(r.status, 0, r.stderr + r.stdout);
    const status = JSON.parse(ctx.helmOk(['status', REL, '-n', NS, '-o', 'json']).stdout);
    assert.is(status.version, 3);
    assert.is(status.info.status, 'deployed');
    const rc = await ctx.rc(NS, FULL);
    assert.is(rc.spec.replicas, 2);
    assert.equal(rc.spec.template.spec.nodeSelector, { node: 'registry' });
    assert.is((await ctx.service(NS, SVC)).spec.ports[0].port, 5000);
    assert.equal(await ctx.daemonSetNodes(NS, `${FULL}-nas-mount`), nodesWith('node', 'registry'));
    assert.is((await ctx.secret(NS, `${FULL}-http-secret`)).data.REGISTRY_HTTP_SECRET, state.http1);
    // ReplicationControllers do not roll their pods: without the hook the
    // remaining pods would keep revision 2's port and node label.
    const before = await ctx.readyPods(NS, SEL, 2); // the RC scaled 3 -> 2
    assert.ok(before.every((p) => p.port === 5443), 'pods still run revision 2\'s template');
    const s = await ctx.runSigner(NS, REL, 'post-rollback');
    signerOk(s);
    assert.is(s.restarts, 2, s.stdout);
    const wantHash = rc.spec.template.metadata.annotations['creg-chart/values-hash'];
    const pods = await ctx.readyPods(NS, SEL, 2, (p) => p.hash === wantHash);
    for (const p of pods) {
      assert.ok(nodesWith('node', 'registry').includes(p.node), `${p.name} on ${p.node}`);
      assert.is(p.port, 5000);
    }
    assert.is((await ctx.secret(NS, `${FULL}-ca`)).metadata.resourceVersion, state.ca.metadata.resourceVersion);
  });

  test(`${label}: helm uninstall removes every release object; the signer's CA and TLS Secrets and CA ConfigMap remain`, async () => {
    const r = ctx.helmOk(['uninstall', REL, '-n', NS, '--wait', '--timeout', '3m']);
    assert.match(r.stdout, /uninstalled/);
    // pods go with their controllers (garbage collector, background deletion)
    await ctx.waitFor('registry, mount and trust pods gone', async () => (await ctx.pods(NS, `app.kubernetes.io/instance=${REL}`)).length === 0);
    const remaining = [];
    for (const [kind, path] of [
      ['Secret', `/api/v1/namespaces/${NS}/secrets`],
      ['ConfigMap', `/api/v1/namespaces/${NS}/configmaps`],
      ['ServiceAccount', `/api/v1/namespaces/${NS}/serviceaccounts`],
      ['Service', `/api/v1/namespaces/${NS}/services`],
      ['Pod', `/api/v1/namespaces/${NS}/pods`],
      ['ReplicationController', `/api/v1/namespaces/${NS}/replicationcontrollers`],
      ['DaemonSet', `/apis/apps/v1/namespaces/${NS}/daemonsets`],
      ['Deployment', `/apis/apps/v1/namespaces/${NS}/deployments`],
      ['Job', `/apis/batch/v1/namespaces/${NS}/jobs`],
      ['Role', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`],
      ['RoleBinding', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`],
    ]) {
      for (const o of (await ctx.get(path)).items) remaining.push(`${kind}/${o.metadata.name}`);
    }
    console.log(`[${label}] left in namespace ${NS} after helm uninstall: ${remaining.join(', ')}`);
    assert.equal(remaining.sort(), [
      `ConfigMap/${FULL}-ca`, // the CA certificate (no key), published by the signer for node trust
      'ConfigMap/kube-root-ca.crt', // the namespace's own
      `Secret/${FULL}-ca`,
      `Secret/${FULL}-ca-pin`, // what the ConfigMap must match for node trust (public data), kept like the CA
      `Secret/${FULL}-tls`,
      'ServiceAccount/default', // the namespace's own
    ]);
    assert.is((await ctx.secret(NS, `${FULL}-ca`)).data['ca.crt'], state.ca.data['ca.crt']);
    const history = ctx.helmRun(['history', REL, '-n', NS]);
    assert.is.not(history.status, 0, 'no release record left');
    assert.match(history.stderr, /not found/);
  });

  test(`${label}: a re-install reuses the kept CA; the certificate follows the new ClusterIP`, async () => {
    ctx.helmOk(['install', REL, ctx.chart.tgz, '-n', NS, ...wait, '--timeout', '3m']);
    const s = await ctx.runSigner(NS, REL, 'post-install');
    signerOk(s);
    assert.match(s.stdout, /reusing CA Secret/);
    const ca = await ctx.secret(NS, `${FULL}-ca`);
    assert.is(ca.data['ca.crt'], state.ca.data['ca.crt'], 'same CA: clients keep trusting it');
    assert.is(ca.metadata.resourceVersion, state.ca.metadata.resourceVersion);
    const ip = (await ctx.service(NS, SVC)).spec.clusterIP;
    const tls = await ctx.secret(NS, `${FULL}-tls`);
    assert.equal(sansOf(b64d(tls.data['tls.crt'])).ips, [ip]);
    if (ip !== state.ip) assert.match(s.stdout, /signing a new certificate/);
    await ctx.readyPods(NS, SEL, 1);
    ctx.helmOk(['uninstall', REL, '-n', NS, '--wait', '--timeout', '3m']);
  });

  test(`${label}: a fixed service.clusterIP from values is honoured (install ${waitAlt.join(' ')}, signer, upgrade)`, async () => {
    const ns = 'creg-fixed';
    const rel = 'fixed';
    const fixedIp = '10.96.77.77'; // inside the harness's --service-cluster-ip-range 10.96.0.0/16
    const sel = `app.kubernetes.io/instance=${rel},app.kubernetes.io/component=registry`;
    ctx.helmOk(['install', rel, ctx.chart.tgz, '-n', ns, '--create-namespace', ...waitAlt, '--timeout', '3m',
      '--set', `service.clusterIP=${fixedIp}`]);
    assert.is((await ctx.service(ns, SVC)).spec.clusterIP, fixedIp);
    const s = await ctx.runSigner(ns, rel, 'post-install');
    signerOk(s);
    const tls = await ctx.secret(ns, 'fixed-creg-tls');
    assert.equal(sansOf(b64d(tls.data['tls.crt'])).ips, [fixedIp]);
    const r = ctx.helmRun(['upgrade', rel, ctx.chart.tgz, '-n', ns, ...waitAlt, '--timeout', '3m',
      '--set', `service.clusterIP=${fixedIp}`, '--set', 'registry.replicas=2']);
    assert.not.ok(hasImmutableError(r), r.stderr + r.stdout);
    assert.is(r.status, 0, r.stderr + r.stdout);
    assert.is((await ctx.service(ns, SVC)).spec.clusterIP, fixedIp);
    const s2 = await ctx.runSigner(ns, rel, 'post-upgrade');
    signerOk(s2);
    assert.match(s2.stdout, /keeping the certificate/);
    await ctx.readyPods(ns, sel, 2);
    // Changing a fixed ClusterIP is refused by the API server (a Service's
    // ClusterIP cannot change); the Service and certificate stay as they were.
    const moved = ctx.helmRun(['upgrade', rel, ctx.chart.tgz, '-n', ns, ...waitAlt, '--timeout', '1m',
      '--set', 'service.clusterIP=10.96.77.78', '--set', 'registry.replicas=2']);
    assert.is.not(moved.status, 0, 'changing service.clusterIP fails');
    console.log(`[${label}] upgrade changing service.clusterIP: ${moved.stderr.trim().split('\n').pop()}`);
    assert.match(moved.stderr, /registry-svc/);
    assert.is((await ctx.service(ns, SVC)).spec.clusterIP, fixedIp);
  });
  test(`${label}: registry.kind=Deployment: the signer recycles once after install; upgrades roll the pods without it`, async () => {
    const ns = 'creg-deploy';
    const rel = 'dep';
    const sel = `app.kubernetes.io/instance=${rel},app.kubernetes.io/component=registry`;
    const set = ['--set', 'registry.kind=Deployment', '--set', 'registry.replicas=2'];
    ctx.helmOk(['install', rel, ctx.chart.tgz, '-n', ns, '--create-namespace', ...wait, '--timeout', '3m', ...set]);
    assert.is(await ctx.rc(ns, 'dep-creg'), null, 'no ReplicationController');
    assert.ok(await ctx.get(`/apis/apps/v1/namespaces/${ns}/deployments/dep-creg`), 'Deployment exists');
    const installed = await ctx.readyPods(ns, sel, 2);
    const s = await ctx.runSigner(ns, rel, 'post-install');
    signerOk(s);
    assert.is(s.restarts, 2, s.stdout);
    const signed = await ctx.readyPods(ns, sel, 2);
    assert.ok(signed.every((p) => !installed.some((q) => q.uid === p.uid)), 'both pods replaced');
    const ip = (await ctx.service(ns, SVC)).spec.clusterIP;
    assert.equal(sansOf(b64d((await ctx.secret(ns, 'dep-creg-tls')).data['tls.crt'])).ips, [ip]);
    const r = ctx.helmRun(['upgrade', rel, ctx.chart.tgz, '-n', ns, ...wait, '--timeout', '3m', ...set, '--set', 'registry.port=5443']);
    assert.not.ok(hasImmutableError(r), r.stderr + r.stdout);
    assert.is(r.status, 0, r.stderr + r.stdout);
    await ctx.readyPods(ns, sel, 2, (p) => p.port === 5443); // rolled by the Deployment controller
    const s2 = await ctx.runSigner(ns, rel, 'post-upgrade');
    signerOk(s2);
    assert.is(s2.restarts, 0, s2.stdout);
    assert.match(s2.stdout, /no registry pod needs a restart/);
  });

  if (helmKey === 'helm4') {
    test('Helm 3.17 install, then Helm 4.1 upgrade and rollback of the same release (an operator switching Helm versions)', async () => {
      const ns = 'creg-migrate';
      const rel = 'mig';
      const sel = `app.kubernetes.io/instance=${rel},app.kubernetes.io/component=registry`;
      ctx.helmOk(['install', rel, ctx.chart.tgz, '-n', ns, '--create-namespace', '--wait', '--timeout', '3m'], { bin: HELMS.helm3.bin });
      signerOk(await ctx.runSigner(ns, rel, 'post-install'));
      const http = (await ctx.secret(ns, 'mig-creg-http-secret')).data.REGISTRY_HTTP_SECRET;
      const r = ctx.helmRun(['upgrade', rel, ctx.chart.tgz, '-n', ns, ...wait, '--timeout', '3m', '--set', 'registry.replicas=2']);
      assert.not.ok(/immutable|conflict/i.test(r.stderr + r.stdout), r.stderr + r.stdout);
      assert.is(r.status, 0, r.stderr + r.stdout);
      assert.is((await ctx.rc(ns, 'mig-creg')).spec.replicas, 2);
      assert.is((await ctx.secret(ns, 'mig-creg-http-secret')).data.REGISTRY_HTTP_SECRET, http);
      signerOk(await ctx.runSigner(ns, rel, 'post-upgrade'));
      await ctx.readyPods(ns, sel, 2);
      ctx.helmOk(['rollback', rel, '1', '-n', ns, ...wait, '--timeout', '3m']);
      assert.is((await ctx.rc(ns, 'mig-creg')).spec.replicas, 1);
    });
  }
}
