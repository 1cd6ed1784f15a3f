// Storage kinds, garbage collection and metrics with the real parts: the
// Distribution 3.1.2 registry binary started with the env the chart renders
// (helm template), SeaweedFS as a real S3-compatible store, skopeo as the
// client. Every registry and store listens on 127.0.0.1 only.
//
// Only these rendered settings are replaced, because the test is not a pod:
// REGISTRY_HTTP_ADDR and REGISTRY_HTTP_DEBUG_ADDR (a free loopback port
// instead of 0.0.0.0:5000 / :5001), the TLS file paths (a certificate made
// for 127.0.0.1 instead of /certs), REGISTRY_HTTP_SECRET (from the Secret
// the chart renders) and, for the garbage-collect container, REGISTRY_CONFIG
// and GC_EXIT_FILE (paths inside the image / an emptyDir). Secret and
// ConfigMap references are resolved from the test's own Secret and the
// chart's ConfigMap; the registry's own config file is the image's
// (writeImageConfig). Skipped without the binaries, failing under CI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, find, helmTemplate, tempDir } from './helpers/chart.mjs';
import {
  REGISTRY_BIN, REGISTRY_BUILD, WEED_BIN, WEED_BUILD, filesystemBlobs, request, resolveEnv, s3Blobs,
  startDistribution, startSeaweed, writeImage, writeImageConfig, skopeo,
} from './helpers/distribution.mjs';
import { freePort, have, signCertificates } from './helpers/registry.mjs';

const missing = [
  !existsSync(REGISTRY_BIN) && `Distribution registry (${REGISTRY_BUILD})`,
  !existsSync(WEED_BIN) && `SeaweedFS (${WEED_BUILD})`,
  !have('skopeo') && 'skopeo (apt-get install skopeo)',
].filter(Boolean);

if (missing.length > 0) {
  const msg = `missing: ${missing.join('; ')}`;
  if (process.env.CI) test('real registry and S3 store are present', () => assert.unreachable(msg));
  else {
    console.warn(`\nSKIP test/storage-real.test.mjs: ${msg}\n`);
    test.skip(`storage, GC and metrics with the real registry (skipped: ${msg})`, () => {});
  }
  test.run();
} else {
  const work = tempDir('creg-storage-real-');
  const helm = HELMS[0];
  const ACCESS_KEY = `creg${Math.random().toString(36).slice(2, 10)}`;
  const SECRET_KEY = `s3-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const BUCKET = 'registry-images';
  const S3_SECRET = 'registry-s3';
  let chartDir;
  let store;
  let tls;
  const running = [];
  const timings = {};

  test.before(async () => {
    ({ chartDir } = await buildChart({ outputDir: join(work, 'out') }));
    tls = signCertificates(join(work, 'pki'), '127.0.0.1');
    // skopeo's cert dir holds the CA only (a *.key there would be read as a client key)
    mkdirSync(certDir(), { recursive: true });
    copyFileSync(tls.ca, join(certDir(), 'ca.crt'));
    store = await startSeaweed({ dir: join(work, 'seaweed'), accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
    store.createBucket(BUCKET);
  });

  test.after(async () => {
    for (const r of running) await r.stop();
    if (store) await store.stop();
    console.log(`\nmeasured: ${JSON.stringify(timings)}`);
    rmSync(work, { recursive: true, force: true });
  });

  /** helm template with --set pairs -> { objects, registry container, http secret, configMaps }. */
  function render(set, extra = []) {
    const objects = helmTemplate(helm.bin, chartDir, ['--set', set.join(','), ...extra], 'reg', 'registry');
    const workload = objects.find((o) => o.kind === 'ReplicationController' || o.kind === 'Deployment');
    const container = workload.spec.template.spec.containers.find((c) => c.name === 'registry');
    const httpSecret = find(objects, 'Secret');
    const secrets = {
      [httpSecret.metadata.name]: Object.fromEntries(Object.entries(httpSecret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
      // The operator's own Secret (storage.s3.existingSecret): never rendered by the chart.
      [S3_SECRET]: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY },
    };
    const configMaps = Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data]));
    return { objects, workload, container, secrets, configMaps };
  }

  // The store's endpoint is known once it runs (test.before).
  const s3Set = () => [
    'storage.kind=s3', `storage.s3.bucket=${BUCKET}`, 'storage.s3.region=us-east-1', `storage.s3.regionEndpoint=${store.s3Url}`,
    'storage.s3.forcePathStyle=true', 'storage.s3.secure=false', `storage.s3.existingSecret=${S3_SECRET}`, 'storage.s3.rootDirectory=/creg',
  ];

  /** Starts the real registry with the rendered env of `r` (plus the documented overrides). */
  async function startFromChart(r, { dataDir, name, configMaps, maintenance } = {}) {
    const port = await freePort();
    const cms = { ...r.configMaps, ...(configMaps ?? {}) };
    const overrides = {
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_HTTP_TLS_CERTIFICATE: tls.cert,
      REGISTRY_HTTP_TLS_KEY: tls.key,
    };
    if (r.container.env.some((e) => e.name === 'REGISTRY_HTTP_DEBUG_ADDR')) overrides.REGISTRY_HTTP_DEBUG_ADDR = `127.0.0.1:${await freePort()}`;
    if (maintenance !== undefined) {
      const cmName = Object.keys(r.configMaps).find((n) => n.endsWith('-maintenance'));
      cms[cmName] = { REGISTRY_STORAGE_MAINTENANCE: maintenance };
    }
    const env = resolveEnv(r.container, { secrets: r.secrets, configMaps: cms, overrides });
    const config = writeImageConfig(join(work, `${name}-config.yml`), dataDir ?? join(work, `${name}-data`));
    const reg = await startDistribution({ config, env, ca: readFileSync(tls.ca), port, name });
    running.push(reg);
    return { ...reg, port, env, host: `127.0.0.1:${port}` };
  }

  const certDir = () => join(work, 'trust');
  const push = (ociDir, tag, host, repo = 'team/app') =>
    skopeo(['copy', '--retry-times', '0', '--dest-cert-dir', certDir(), `oci:${ociDir}:${tag}`, `docker://${host}/${repo}:${tag}`]);
  const pull = (host, tag, into, repo = 'team/app') =>
    skopeo(['copy', '--retry-times', '0', '--src-cert-dir', certDir(), `docker://${host}/${repo}:${tag}`, `oci:${into}:${tag}`]);
  const inspectDigest = (host, tag, repo = 'team/app') => {
    const r = skopeo(['inspect', '--cert-dir', certDir(), '--format', '{{.Digest}}', `docker://${host}/${repo}:${tag}`]);
    return r.status === 0 ? r.out.trim() : `error: ${r.out}`;
  };

  // ------------------------------------------------------------------ s3

  test('storage.kind=s3: env from the chart (keys only by Secret reference), no volume, no mount DaemonSet, no node label', () => {
    const r = render(s3Set());
    const env = Object.fromEntries(r.container.env.map((e) => [e.name, e]));
    assert.is(env.REGISTRY_STORAGE.value, 's3');
    assert.is(env.REGISTRY_STORAGE_S3_BUCKET.value, BUCKET);
    assert.equal(env.REGISTRY_STORAGE_S3_ACCESSKEY.valueFrom, { secretKeyRef: { name: S3_SECRET, key: 'AWS_ACCESS_KEY_ID' } });
    assert.equal(env.REGISTRY_STORAGE_S3_SECRETKEY.valueFrom, { secretKeyRef: { name: S3_SECRET, key: 'AWS_SECRET_ACCESS_KEY' } });
    assert.is(env.REGISTRY_STORAGE_REDIRECT_DISABLE.value, 'true');
    const spec = r.workload.spec.template.spec;
    assert.not.ok(spec.volumes.some((v) => v.name === 'data'), 'no data volume');
    assert.not.ok(spec.nodeSelector, 'no node selector');
    assert.not.ok(spec.initContainers.some((c) => c.name === 'nas-guard'));
    assert.not.ok(r.objects.some((o) => o.metadata.name.endsWith('-nas-mount')), 'no mount DaemonSet');
  });

  let s3Image;
  test('s3: the real registry with the chart\'s env pushes and pulls through SeaweedFS; the blobs are in the bucket', async () => {
    const r = render(s3Set());
    const reg = await startFromChart(r, { name: 's3-one' });
    const oci = join(work, 'img-s3');
    s3Image = writeImage(oci, 'v1', ['base layer shared\n'.repeat(2000), 'app layer one\n'.repeat(3000)]);
    let t = Date.now();
    const p = push(oci, 'v1', reg.host);
    timings.s3PushMs = Date.now() - t;
    assert.is(p.status, 0, `${p.out}\n${reg.log().slice(-2000)}`);
    t = Date.now();
    const back = join(work, 'pulled-s3-one');
    const q = pull(reg.host, 'v1', back);
    timings.s3PullMs = Date.now() - t;
    assert.is(q.status, 0, q.out);
    const files = await store.files(BUCKET, 'creg/');
    const blobs = s3Blobs(files);
    for (const d of [...s3Image.layers, s3Image.config, s3Image.manifest]) assert.ok(blobs.includes(d.slice(7)), `blob ${d} in bucket ${BUCKET}/creg: ${blobs.join(' ')}`);
    assert.ok(files.some((f) => f.startsWith('creg/docker/registry/v2/repositories/team/app/_manifests/tags/v1/')), 'tag in the bucket');
    timings.s3Blobs = blobs.length;
  });

  test('s3: a second registry process on the same bucket serves the same image (scale-out)', async () => {
    const r = render(s3Set());
    const reg2 = await startFromChart(r, { name: 's3-two' });
    assert.is(inspectDigest(reg2.host, 'v1'), s3Image.manifest);
    const q = pull(reg2.host, 'v1', join(work, 'pulled-s3-two'));
    assert.is(q.status, 0, q.out);
    const layer = JSON.parse(readFileSync(join(work, 'pulled-s3-two', 'index.json'), 'utf8')).manifests[0].digest;
    assert.is(layer, s3Image.manifest);
  });

  // ------------------------------------------------------------------ GC

  /** The rendered gc CronJob's garbage-collect container, command + args + env. */
  function gcContainer(r) {
    const cron = r.objects.find((o) => o.kind === 'CronJob' && o.metadata.name.endsWith('-gc'));
    const spec = cron.spec.jobTemplate.spec.template.spec;
    return { spec, container: spec.initContainers.find((c) => c.name === 'garbage-collect') };
  }

  /** Runs the garbage-collect container's exact command with its env (REGISTRY_CONFIG/GC_EXIT_FILE pointed at test files; `registry` on PATH). */
  function runGc(r, { config, name }) {
    const { container } = gcContainer(r);
    const exitFile = join(work, `${name}-gc-exit-code`);
    const env = resolveEnv(container, { secrets: r.secrets, configMaps: r.configMaps, overrides: { REGISTRY_CONFIG: config, GC_EXIT_FILE: exitFile } });
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    spawnSync('ln', ['-sf', REGISTRY_BIN, join(bin, 'registry')]);
    const [cmd, ...args] = [...container.command, ...container.args];
    const t = Date.now();
    const res = spawnSync(cmd, args, { env: { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME, ...env }, encoding: 'utf8', timeout: 300_000 });
    return { status: res.status, out: `${res.stdout}${res.stderr}`, exitCode: existsSync(exitFile) ? readFileSync(exitFile, 'utf8').trim() : undefined, ms: Date.now() - t };
  }

  /**
   * Two tags sharing a layer; tag `old` deleted by digest; read-only window
   * refuses a push; GC with the CronJob's command; unreferenced blobs gone,
   * `keep` still pulls. `blobsNow()` lists the store's blobs.
   */
  async function gcScenario(label, set, { dataDir, blobsNow }) {
    const r = render([...set, 'gc.enabled=true']);
    const name = `gc-${label}`;
    // read-write (the chart's ConfigMap value)
    let reg = await startFromChart(r, { name: `${name}-rw`, dataDir });
    const ociKeep = join(work, `${name}-keep`);
    const ociOld = join(work, `${name}-old`);
    const shared = `shared base ${label}\n`.repeat(4000);
    const keep = writeImage(ociKeep, 'keep', [shared, `keep only ${label}\n`.repeat(1000)]);
    const old = writeImage(ociOld, 'old', [shared, `old only ${label}\n`.repeat(1000), `old extra ${label}\n`.repeat(500)]);
    for (const [dir, tag] of [[ociKeep, 'keep'], [ociOld, 'old']]) {
      const p = push(dir, tag, reg.host);
      assert.is(p.status, 0, p.out);
    }
    const before = await blobsNow();
    const del = await request('DELETE', `https://${reg.host}/v2/team/app/manifests/${old.manifest}`, { ca: readFileSync(tls.ca) });
    assert.is(del.status, 202, `delete by digest: ${del.status} ${del.body}`);
    await reg.stop();

    // the read-only window: the value the gc Job's read-only step writes into the ConfigMap
    const { MAINTENANCE_VALUE } = await import('../dist/signer/maintenance.mjs');
    reg = await startFromChart(r, { name: `${name}-ro`, dataDir, maintenance: MAINTENANCE_VALUE['read-only'] });
    const refused = await request('POST', `https://${reg.host}/v2/team/app/blobs/uploads/`, { ca: readFileSync(tls.ca) });
    const ociNew = join(work, `${name}-new`);
    writeImage(ociNew, 'new', [`pushed during gc ${label}\n`]);
    const refusedPush = push(ociNew, 'new', reg.host);
    assert.is.not(refusedPush.status, 0, 'a push in the read-only window must fail');
    assert.is(inspectDigest(reg.host, 'keep'), keep.manifest, 'pulls still work while read-only');

    const gc = runGc(r, { config: writeImageConfig(join(work, `${name}-gc-config.yml`), dataDir ?? join(work, `${name}-gc-unused`)), name });
    assert.is(gc.status, 0, gc.out);
    assert.is(gc.exitCode, '0', gc.out);
    await reg.stop();
    const after = await blobsNow();

    // read-write again: the survivor pulls, the deleted tag's own blobs are gone
    reg = await startFromChart(r, { name: `${name}-rw2`, dataDir });
    const q = pull(reg.host, 'keep', join(work, `${name}-pulled`));
    assert.is(q.status, 0, q.out);
    const gone = [old.manifest, old.config, old.layers[1], old.layers[2]].map((d) => d.slice(7));
    for (const d of gone) assert.not.ok(after.includes(d), `${d} should have been collected`);
    for (const d of [keep.manifest, keep.config, ...keep.layers].map((x) => x.slice(7))) assert.ok(after.includes(d), `${d} must survive`);
    await reg.stop();
    return { before: before.length, after: after.length, reclaimed: before.length - after.length, refusedStatus: refused.status, refusedPush: refusedPush.out.split('\n').filter(Boolean).pop(), gcMs: gc.ms, gcOut: gc.out };
  }

  test('GC on filesystem storage (nasMount env): read-only refuses pushes, the CronJob\'s command collects the deleted tag\'s blobs, the other tag pulls', async () => {
    const dataDir = join(work, 'fs-data');
    const res = await gcScenario('fs', [], { dataDir, blobsNow: async () => filesystemBlobs(dataDir) });
    timings.gcFilesystem = { blobsBefore: res.before, blobsAfter: res.after, reclaimed: res.reclaimed, readOnlyUploadStatus: res.refusedStatus, gcMs: res.gcMs };
    console.log(`\nfilesystem GC: reclaimed ${res.reclaimed} of ${res.before} blobs; read-only POST /blobs/uploads/ -> ${res.refusedStatus}; skopeo: ${res.refusedPush}`);
    assert.is(res.reclaimed, 4);
    assert.is(res.refusedStatus, 405, 'Distribution read-only mode: no write handler (405 Method Not Allowed)');
  });

  test('GC on S3 storage: the same with the chart\'s s3 env against SeaweedFS', async () => {
    const res = await gcScenario('s3', s3Set(), { blobsNow: async () => s3Blobs(await store.files(BUCKET, 'creg/')) });
    timings.gcS3 = { blobsBefore: res.before, blobsAfter: res.after, reclaimed: res.reclaimed, readOnlyUploadStatus: res.refusedStatus, gcMs: res.gcMs };
    console.log(`\nS3 GC: reclaimed ${res.reclaimed} of ${res.before} blobs; read-only POST /blobs/uploads/ -> ${res.refusedStatus}`);
    assert.is(res.reclaimed, 4);
  });

  test('GC: the garbage-collect container records a failure for the read-write step instead of failing itself', () => {
    const r = render(['gc.enabled=true']);
    const gc = runGc(r, { config: join(work, 'no-such-config.yml'), name: 'gc-fail' });
    assert.is(gc.status, 0, 'the init container itself exits 0 so that the read-write step always runs');
    assert.is.not(gc.exitCode, '0', gc.out);
    assert.ok(gc.exitCode && /^\d+$/.test(gc.exitCode), gc.out);
  });

  // ------------------------------------------------------------------ metrics

  test('metrics.enabled: the real debug server answers /metrics (Prometheus) on the env the chart renders; the registry Service does not expose it', async () => {
    const r = render(['metrics.enabled=true']);
    const port = r.container.ports.find((p) => p.name === 'metrics');
    assert.is(port.containerPort, 5001);
    const svc = r.objects.find((o) => o.kind === 'Service' && o.spec.ports.some((p) => p.name === 'https'));
    assert.not.ok(svc.spec.ports.some((p) => p.name === 'metrics' || p.targetPort === 'metrics'), 'registry Service has no metrics port');
    const reg = await startFromChart(r, { name: 'metrics', dataDir: join(work, 'metrics-data') });
    const debugAddr = reg.env.REGISTRY_HTTP_DEBUG_ADDR;
    // some traffic first, so that request metrics exist
    await request('GET', `https://${reg.host}/v2/`, { ca: readFileSync(tls.ca) });
    const m = await request('GET', `http://${debugAddr}/metrics`);
    assert.is(m.status, 200);
    assert.match(m.body, /^# TYPE registry_http_requests_total counter$/m);
    assert.match(m.body, /registry_http_requests_total\{[^}]*\}/);
    const health = await request('GET', `http://${debugAddr}/debug/health`);
    assert.is(health.status, 200, health.body);
    await reg.stop();
  });

  test.run();
}
