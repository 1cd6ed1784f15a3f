// Mirror mode end to end with real parts, on 127.0.0.1 only:
//   - the "upstream" (standing for Docker Hub) is the real Distribution 3.1.2
//     registry over TLS with its own CA, holding library/x:v1 (pushed by skopeo);
//     its name in image references is 127.0.0.1:<port>, so containerd resolves
//     it without /etc/hosts, and the chart's mirror.hosts/mirror.upstream name it;
//   - the mirror is a second Distribution 3.1.2 started with exactly the env
//     the chart renders for the registry container in mirror mode (`helm
//     template`: REGISTRY_PROXY_*, REGISTRY_HTTP_*), on the image's config file,
//     with the bundled signer's certificate for the "ClusterIP" 127.0.0.1; only the
//     listen address (loopback, not 0.0.0.0), the certificate paths and the HTTP
//     secret's value are the test's;
//   - node-trust.sh + node-mirror.sh, extracted from the same `helm template`,
//     write the node files into a directory; the fenced real containerd's CRI
//     plugin (kubelet's API; crictl) has config_path = that directory and no
//     other configuration; SSL_CERT_FILE = the upstream's CA stands for the
//     public roots that make Docker Hub trusted on a real node;
//   - crictl pulls 127.0.0.1:<upstream port>/library/x:v1: through the mirror
//     (its access log shows the pull, the upstream's shows only the mirror's
//     client, the layer blob is in the mirror's storage); with the mirror
//     stopped (containerd falls back to the upstream: `server =`); with the
//     upstream stopped and the mirror back (served from the mirror's cache).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, helmTemplate, tempDir, trustScriptOf } from './helpers/chart.mjs';
import { CRICTL_BUILD, containerdUnavailable, ctrPull, findCrictl, startContainerd } from './helpers/containerd.mjs';
import { REGISTRY3_BUILD, findRegistry3, startRegistry3 } from './helpers/registry3.mjs';
import { freePort, have, signCertificates, skopeoCopy, writeOciLayout } from './helpers/registry.mjs';
import { trustShells } from './helpers/trust.mjs';

const work = tempDir('creg-mirror-ctrd-');
const missing = [
  containerdUnavailable(),
  findRegistry3() ? '' : `Distribution 3.1.2 not built (${REGISTRY3_BUILD})`,
  have('skopeo') ? '' : 'skopeo not installed',
].filter(Boolean);
const { shells, cleanup: cleanupShells } = trustShells();
const shell = shells.find((s) => s.name === 'busybox') ?? shells[0];
let upstream;
let mirror;
let ctrd;

test.after(async () => {
  await ctrd?.stop();
  await mirror?.stop();
  await upstream?.stop();
  cleanupShells();
  rmSync(work, { recursive: true, force: true });
});

if (missing.length) {
  test('containerd, Distribution 3.1.2 and skopeo can run here', () => {
    if (process.env.CI) assert.unreachable(`${missing.join('; ')} (required when CI is set)`);
    console.log(`  skipped mirror-containerd: ${missing.join('; ')}`);
  });
} else {
  const certsd = join(work, 'node', 'containerd', 'certs.d'); // the node's /etc/containerd/certs.d
  const regDropIns = join(work, 'node', 'containers', 'registries.conf.d');
  let upstreamPort;
  let mirrorPort;
  let upstreamName;
  let image;
  let layerDigest;
  let rendered;
  let upstreamCerts;
  let mirrorCerts;
  let pull;

  // crictl runs synchronously: the registries' output reaches their log buffers only once the event
  // loop runs again, so every check of a log after a pull waits for it first.
  const settle = () => new Promise((res) => setTimeout(res, 500));
  /** Requests for library/x whose user agent names containerd, in an access log. */
  const containerdRequests = (log) => log.split('\n').filter((l) => /"(GET|HEAD) \/v2\/library\/x\/(manifests|blobs)\//.test(l) && /containerd\//.test(l));

  test('setup: upstream registry with library/x:v1, chart built in mirror mode for it, node files written by the node trust script', async () => {
    const t0 = Date.now();
    upstreamPort = await freePort();
    mirrorPort = await freePort();
    upstreamName = `127.0.0.1:${upstreamPort}`;
    image = `${upstreamName}/library/x:v1`;
    upstreamCerts = signCertificates(join(work, 'upstream-certs'));
    upstream = await startRegistry3({
      dir: join(work, 'upstream'),
      port: upstreamPort,
      ca: upstreamCerts.ca,
      env: {
        REGISTRY_HTTP_ADDR: `127.0.0.1:${upstreamPort}`,
        REGISTRY_HTTP_TLS_CERTIFICATE: upstreamCerts.cert,
        REGISTRY_HTTP_TLS_KEY: upstreamCerts.key,
        REGISTRY_HTTP_SECRET: 'upstream-test-secret',
      },
    });
    const push = join(work, 'push-trust');
    mkdirSync(push);
    writeFileSync(join(push, 'ca.crt'), readFileSync(upstreamCerts.ca));
    writeOciLayout(join(work, 'oci'), 'v1', 'served through the creg-chart mirror\n');
    const manifest = JSON.parse(readFileSync(join(work, 'oci', 'blobs', 'sha256', JSON.parse(readFileSync(join(work, 'oci', 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
    layerDigest = manifest.layers[0].digest;
    const p = skopeoCopy({ from: `oci:${join(work, 'oci')}:v1`, to: `docker://${image}`, certDir: push });
    assert.is(p.status, 0, `${p.stderr}\n${upstream.log()}`);

    const { chartDir } = await buildChart({
      outputDir: join(work, 'chart'),
      set: ['mirror.enabled=true', `mirror.upstream=https://${upstreamName}`, `mirror.hosts[0]=${upstreamName}`, `registry.port=${mirrorPort}`, 'mirror.ttl=24h', 'registry.image.tag=3.1.2'],
    });
    rendered = helmTemplate(HELMS[0].bin, chartDir, [], 'hub', 'mirrors');

    // The node trust DaemonSet's script, with the CA ConfigMap as the kubelet mounts it.
    mirrorCerts = signCertificates(join(work, 'mirror-certs'), '127.0.0.1');
    const trust = trustScriptOf(rendered);
    mkdirSync(join(work, 'configmap'));
    writeFileSync(join(work, 'configmap', 'ca.crt'), readFileSync(mirrorCerts.ca));
    writeFileSync(join(work, 'configmap', 'cluster-ip'), '127.0.0.1');
    // The pin Secret the signer writes beside the ConfigMap (the node trust script trusts only the pinned CA).
    mkdirSync(join(work, 'pin'));
    writeFileSync(join(work, 'pin', 'ca.crt.sha256'), createHash('sha256').update(readFileSync(mirrorCerts.ca)).digest('hex'));
    writeFileSync(join(work, 'pin', 'cluster-ip'), '127.0.0.1');
    mkdirSync(certsd, { recursive: true });
    mkdirSync(regDropIns, { recursive: true });
    const r = shell.run(trust.script, trust.argv0, {
      ...trust.env,
      CA_FILE: join(work, 'configmap', 'ca.crt'),
      CLUSTER_IP_FILE: join(work, 'configmap', 'cluster-ip'),
      PIN_DIR: join(work, 'pin'),
      CONTAINERD_DIR: certsd,
      CONTAINERD_HOST_DIR: certsd,
      DOCKER_DIR: '',
      CONTAINERS_DIR: '',
      CONTAINERS_REGISTRIES_DIR: regDropIns,
      READY_FILE: join(work, 'ready'),
      MIRROR_STATUS_FILE: join(work, 'mirror-status'),
      MAX_ROUNDS: '1',
    });
    assert.is(r.status, 0, r.out);
    const hostsToml = readFileSync(join(certsd, upstreamName, 'hosts.toml'), 'utf8');
    assert.match(hostsToml, new RegExp(`server = "https://${upstreamName.replace(/\./g, '\\.')}"`));
    assert.match(hostsToml, new RegExp(`\\[host\\."https://127\\.0\\.0\\.1:${mirrorPort}"\\]`));
    console.log(`  upstream ${upstreamName}, mirror 127.0.0.1:${mirrorPort}; setup ${Date.now() - t0} ms`);
  });

  test('the mirror: Distribution 3.1.2 with the env helm renders in mirror mode (REGISTRY_PROXY_*)', async () => {
    const rc = rendered.find((o) => o.kind === 'ReplicationController');
    const c = rc.spec.template.spec.containers.find((x) => x.name === 'registry');
    const env = {};
    for (const e of c.env) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef?.key === 'REGISTRY_HTTP_SECRET') env[e.name] = 'mirror-test-secret'; // the chart's http Secret
      else assert.unreachable(`unexpected env ${e.name} from ${JSON.stringify(e.valueFrom)}`);
    }
    assert.is(env.REGISTRY_PROXY_REMOTEURL, `https://${upstreamName}`);
    assert.is(env.REGISTRY_PROXY_TTL, '24h');
    assert.is(env.REGISTRY_HTTP_ADDR, `0.0.0.0:${mirrorPort}`);
    const run = {
      ...env,
      REGISTRY_HTTP_ADDR: `127.0.0.1:${mirrorPort}`, // loopback only on this machine
      REGISTRY_HTTP_TLS_CERTIFICATE: mirrorCerts.cert, // /certs/tls.crt in the pod (tls-setup copies it from the TLS Secret)
      REGISTRY_HTTP_TLS_KEY: mirrorCerts.key,
      SSL_CERT_FILE: upstreamCerts.ca, // the image's system roots, which trust Docker Hub
    };
    mirror = await startRegistry3({ dir: join(work, 'mirror'), port: mirrorPort, ca: mirrorCerts.ca, env: run });
    // The rendered TTL reached Distribution 3 (2.8 would have warned it ignored REGISTRY_PROXY_TTL).
    assert.not.match(mirror.log(), /Ignoring unrecognized environment variable/);
    assert.match(mirror.log(), /[Pp]roxy|remote/, mirror.log());
  });

  test('containerd\'s CRI plugin, configured only with config_path = the node trust files, pulls through the mirror', async () => {
    const crictl = findCrictl();
    if (!crictl && process.env.CI) assert.unreachable(`crictl not found; build it with: ${CRICTL_BUILD}`);
    ctrd = await startContainerd(join(work, 'containerd'), { cri: { configPath: certsd }, env: { SSL_CERT_FILE: upstreamCerts.ca } });
    // crictl (kubelet's CRI path) when built; else ctr with --hosts-dir (the same hosts.toml reader).
    pull = crictl
      ? () => ctrd.crictl(['pull', image])
      : () => ctrPull(ctrd, image, certsd);
    const rmi = crictl ? () => ctrd.crictl(['rmi', image]) : () => ctrd.ctr(['images', 'rm', image]);
    pull.rmi = rmi;
    console.log(`  puller: ${crictl ? 'crictl (CRI, config_path)' : 'ctr --hosts-dir (crictl not built)'}`);
    const t0 = Date.now();
    const r = pull();
    assert.is(r.status, 0, `${r.out}\n${ctrd.log()}\n${mirror.log()}`);
    console.log(`  pull through the mirror: ${Date.now() - t0} ms`);
    await settle();
    const mirrorHits = containerdRequests(mirror.log());
    assert.ok(mirrorHits.some((l) => /manifests\/v1/.test(l)), `the mirror's access log shows containerd's manifest request:\n${mirror.log()}`);
    assert.ok(mirrorHits.some((l) => l.includes(`blobs/${layerDigest}`)), 'the mirror served the layer blob');
    assert.equal(containerdRequests(upstream.log()), [], 'containerd never asked the upstream itself');
    const fetched = upstream.log().split('\n').filter((l) => /"(GET|HEAD) \/v2\/library\/x\/(manifests|blobs)\/[^"]*" 200 /.test(l));
    assert.ok(fetched.length > 0 && fetched.every((l) => !/containerd\//.test(l)), `the mirror fetched from the upstream:\n${upstream.log()}`);
    // Distribution stores what it proxied: the layer is in the mirror's storage.
    const blob = join(mirror.dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', layerDigest.slice(7, 9), layerDigest.slice(7), 'data');
    for (let i = 0; i < 50 && !existsSync(blob); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(existsSync(blob), `${blob} exists`);
    assert.is(`sha256:${spawnSync('sha256sum', [blob], { encoding: 'utf8' }).stdout.split(' ')[0]}`, layerDigest);
  });

  test('mirror stopped: the same pull falls back to the upstream (hosts.toml server)', async () => {
    assert.is(pull.rmi().status, 0);
    await mirror.stop();
    const before = containerdRequests(upstream.log()).length;
    const t0 = Date.now();
    const r = pull();
    assert.is(r.status, 0, `${r.out}\n${ctrd.log()}`);
    console.log(`  pull with the mirror down (fallback): ${Date.now() - t0} ms`);
    await settle();
    assert.ok(containerdRequests(upstream.log()).length > before, `containerd went to the upstream:\n${upstream.log()}`);
  });

  test('mirror back, then the upstream stopped: the pull is served from the mirror\'s cache', async () => {
    assert.is(pull.rmi().status, 0);
    // Restarted while the upstream is up: Distribution's proxy asks the upstream's /v2/ when it starts.
    await mirror.restart();
    await upstream.stop();
    const mark = mirror.log().length;
    const t0 = Date.now();
    const r = pull();
    assert.is(r.status, 0, `${r.out}\n${ctrd.log()}\n${mirror.log().slice(mark)}`);
    console.log(`  pull with the upstream down (cache): ${Date.now() - t0} ms`);
    await settle();
    const hits = containerdRequests(mirror.log().slice(mark));
    // containerd may still hold the blobs (only the image record was removed): the manifest request
    // answered by the mirror while the upstream is down is the proof.
    assert.ok(hits.some((l) => /manifests\/v1/.test(l) && /" 200 /.test(l)), `served from the cache:\n${mirror.log().slice(mark)}`);
  });

  test('a mirror cannot (re)start while its upstream is unreachable (Distribution 3.1.2 panics); both down: the pull fails', async () => {
    await mirror.stop();
    let err = '';
    try {
      await mirror.restart();
    } catch (e) {
      err = e.message;
    }
    assert.match(err, /panic: Get "https:\/\/127\.0\.0\.1:\d+\/v2\/": dial tcp 127\.0\.0\.1:\d+: connect: connection refused/, err);
    assert.is(pull.rmi().status, 0);
    const none = pull();
    assert.is.not(none.status, 0, none.out);
  });
}

test.run();
