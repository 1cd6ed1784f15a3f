// Kubelet pulls with auth on, through nodeTrust.pullCredentials: the real Distribution 3.1.2 runs with
// the chart's rendered env and auth on (htpasswd from our signer's code), node-trust.sh (from the
// real `helm template` with auth.enabled and nodeTrust.pullCredentials) writes hosts.toml with the
// pull user's Authorization header from the pull Secret's `authorization` key, and a real containerd
// (ctr --hosts-dir, and the CRI plugin with config_path, the kubelet's path) pulls using only those
// files. Without the header (the same script, no pull Secret mounted) the pull fails with 401.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELMS, buildChart, helmTemplate, tempDir, trustScriptOf } from './helpers/chart.mjs';
import { CRICTL_BUILD, containerdUnavailable, ctrPull, findCrictl, startContainerd } from './helpers/containerd.mjs';
import {
  distribution3Missing,
  freePort,
  have,
  registryContainerOf,
  resolveContainerEnv,
  signCertificates,
  skopeoCopy,
  startDistribution3,
  writeOciLayout,
} from './helpers/registry.mjs';
import { trustShells } from './helpers/trust.mjs';
import { basicAuthorization, dockerConfigJson, htpasswdLine, newPassword } from '../dist/signer/auth.mjs';

const work = tempDir('creg-trust-auth-');
const why = containerdUnavailable() || distribution3Missing()[0] || (have('skopeo') ? '' : 'skopeo not installed');
const { shells, cleanup: cleanupShells } = trustShells();
const shell = shells.find((s) => s.name === 'busybox') ?? shells[0];
let registry;
let ctrd;
let criCtrd;

test.after(async () => {
  await ctrd?.stop();
  await criCtrd?.stop();
  await registry?.stop();
  cleanupShells();
  rmSync(work, { recursive: true, force: true });
});

if (why) {
  test('containerd, Distribution 3 and skopeo can run here', () => {
    if (process.env.CI) assert.unreachable(`${why} (required when CI is set)`);
    console.log(`  skipped trust-containerd-auth: ${why}`);
  });
} else {
  const certs = join(work, 'certs');
  const containerdDir = join(work, 'node', 'containerd', 'certs.d');
  const configMap = join(work, 'configmap');
  const pullSecret = join(work, 'pull-secret'); // the pull Secret as the kubelet mounts it (key authorization)
  const pushPw = newPassword();
  const pullPw = newPassword();
  let trust;
  let image;

  const runTrust = (withCredential) => {
    mkdirSync(containerdDir, { recursive: true });
    // What the signer pins in Secret <fullname>-ca-pin for this CA and address (issue 9's trust chain).
    mkdirSync(join(work, 'pin'), { recursive: true });
    writeFileSync(join(work, 'pin', 'ca.crt.sha256'), createHash('sha256').update(readFileSync(join(configMap, 'ca.crt'))).digest('hex'));
    writeFileSync(join(work, 'pin', 'cluster-ip'), '127.0.0.1');
    const r = shell.run(trust.script, trust.argv0, {
      ...trust.env,
      PIN_DIR: join(work, 'pin'),
      CLUSTER_IP_FILE: join(configMap, 'cluster-ip'),
      REGISTRY_PORT: String(registry.port),
      CA_FILE: join(configMap, 'ca.crt'),
      CONTAINERD_DIR: containerdDir,
      CONTAINERD_HOST_DIR: containerdDir,
      DOCKER_DIR: '',
      CONTAINERS_DIR: '',
      READY_FILE: join(work, 'ready'),
      MAX_ROUNDS: '1',
      // The Secret volume is optional: without the pull Secret the file is simply absent.
      AUTH_HEADER_FILE: withCredential ? trust.env.AUTH_HEADER_FILE.replace(/^\/pull/, pullSecret) : join(work, 'absent', 'authorization'),
    });
    assert.is(r.status, 0, r.out);
    assert.not.ok(r.out.includes(pullPw) || r.out.includes(basicAuthorization('pull', pullPw)), 'node-trust.sh must not log the credential');
    return r;
  };

  test('setup: Distribution 3 with the chart env and auth on, image pushed by the push user, containerd started', async () => {
    signCertificates(certs);
    const { chartDir } = await buildChart({ outputDir: join(work, 'chart') });
    const port = await freePort();
    const objects = helmTemplate(HELMS[0].bin, chartDir, ['--set', `registry.port=${port}`, '--set', 'auth.enabled=true', '--set', 'nodeTrust.pullCredentials=true']);
    trust = trustScriptOf(objects);
    assert.is(trust.env.AUTH_HEADER_FILE, '/pull/authorization');
    const pullVolume = trust.daemonSet.spec.template.spec.volumes.find((v) => v.name === 'pull');
    assert.is(pullVolume.secret.secretName, 'eyoh-creg-pull');
    assert.equal(pullVolume.secret.items, [{ key: 'authorization', path: 'authorization' }]);
    const auth = join(work, 'auth');
    mkdirSync(auth);
    writeFileSync(join(auth, 'htpasswd'), `${htpasswdLine('push', pushPw)}\n${htpasswdLine('pull', pullPw)}\n`);
    const env = resolveContainerEnv(registryContainerOf(objects).container.env, {
      secrets: { 'eyoh-creg-http-secret': { REGISTRY_HTTP_SECRET: newPassword() } },
      paths: { '/certs': certs, '/auth': auth },
    });
    registry = await startDistribution3({ dir: join(work, 'registry'), env, ca: join(certs, 'ca.crt') });
    image = `${registry.host}/creg-test/hello:v1`;
    const pushTrust = join(work, 'push-trust');
    mkdirSync(pushTrust);
    copyFileSync(join(certs, 'ca.crt'), join(pushTrust, 'ca.crt'));
    writeFileSync(join(work, 'push.json'), dockerConfigJson([registry.host], 'push', pushPw));
    writeOciLayout(join(work, 'oci'), 'v1');
    const p = skopeoCopy({ from: `oci:${join(work, 'oci')}:v1`, to: `docker://${image}`, certDir: pushTrust, authFile: join(work, 'push.json') });
    assert.is(p.status, 0, `${p.stderr}\n${registry.log()}`);
    mkdirSync(configMap);
    copyFileSync(join(certs, 'ca.crt'), join(configMap, 'ca.crt'));
    writeFileSync(join(configMap, 'cluster-ip'), '127.0.0.1');
    mkdirSync(pullSecret);
    writeFileSync(join(pullSecret, 'authorization'), basicAuthorization('pull', pullPw));
    ctrd = await startContainerd(join(work, 'containerd'));
  });

  test('trust files without the pull credential: containerd trusts the CA but the pull fails with 401', () => {
    runTrust(false);
    const hosts = readFileSync(join(containerdDir, registry.host, 'hosts.toml'), 'utf8');
    assert.not.match(hosts, /Authorization/);
    const r = ctrPull(ctrd, image, containerdDir);
    assert.is.not(r.status, 0, r.out);
    // A 401 is answered only after the TLS handshake succeeded: the CA from the files is trusted.
    assert.match(r.out, /401 Unauthorized/, r.out);
  });

  test('node-trust.sh writes the Authorization header (hosts.toml 0600): the same running containerd pulls', () => {
    const out = runTrust(true);
    assert.match(out.out, /wrote .*hosts\.toml/);
    const file = join(containerdDir, registry.host, 'hosts.toml');
    const hosts = readFileSync(file, 'utf8');
    assert.match(hosts, new RegExp(`\\[host\\."https://${registry.host.replace(/\./g, '\\.')}"\\.header\\]\\n    Authorization = "Basic [A-Za-z0-9+/=]+"`));
    assert.is(statSync(file).mode & 0o777, 0o600);
    const again = runTrust(true);
    assert.not.match(again.out, /wrote/, 'a second round changes nothing');
    const r = ctrPull(ctrd, image, containerdDir);
    assert.is(r.status, 0, `${r.out}\n${ctrd.log()}`);
  });

  test('the kubelet\'s path: containerd\'s CRI plugin with config_path = those files pulls (crictl), without them 401', async () => {
    const crictl = findCrictl();
    if (!crictl) {
      if (process.env.CI) assert.unreachable(`crictl not found; build it with: ${CRICTL_BUILD}`);
      console.log(`  skipped the CRI check: crictl not found (build it with: ${CRICTL_BUILD})`);
      return;
    }
    criCtrd = await startContainerd(join(work, 'containerd-cri'), { cri: { configPath: containerdDir } });
    let r = criCtrd.crictl(['pull', image]);
    assert.is(r.status, 0, `${r.out}\n${criCtrd.log()}`);
    assert.is(criCtrd.crictl(['rmi', image]).status, 0);
    runTrust(false); // the pull Secret gone: the header is dropped again
    assert.not.match(readFileSync(join(containerdDir, registry.host, 'hosts.toml'), 'utf8'), /Authorization/);
    r = criCtrd.crictl(['pull', image]);
    assert.is.not(r.status, 0, r.out);
    assert.match(r.out, /401 Unauthorized/, r.out);
    assert.ok(existsSync(join(containerdDir, registry.host, 'ca.crt')));
  });
}

test.run();
