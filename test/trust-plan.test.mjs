// src/trust/plan.ts: the pure part shared by `creg-chart trust` (and mirrored by node-trust.sh).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCertificateAuthority } from '../dist/pki/index.js';
import {
  MARKER_FILE, chartFullname, checkCaPem, checkCertsDir, checkOwner, formatAddress, hostsToml, parseAddress, planTrust,
} from '../dist/trust/plan.js';

const ca = createCertificateAuthority({ commonName: 'plan CA', validityDays: 30 });

test('parseAddress: IPv4, IPv6 in brackets, host names, https:// prefix; malformed input refused', () => {
  assert.equal(parseAddress('10.100.153.175:5000'), { host: '10.100.153.175', port: 5000, address: '10.100.153.175:5000' });
  assert.equal(parseAddress(' https://10.0.0.1:443/ '), { host: '10.0.0.1', port: 443, address: '10.0.0.1:443' });
  assert.equal(parseAddress('[fd00::10]:5000'), { host: 'fd00::10', port: 5000, address: '[fd00::10]:5000' });
  assert.is(parseAddress('registry.example.org:5000').address, 'registry.example.org:5000');
  for (const bad of ['10.0.0.1', '10.0.0.1:', ':5000', 'fd00::10:5000x', '10.0.0.1:5000:1', '10.0.0.1 5000', '']) {
    assert.throws(() => parseAddress(bad), /--address must be the registry's IP:PORT/, bad);
  }
  for (const [bad, msg] of [['10.0.0.1:0', /from 1 to 65535/], ['10.0.0.1:65536', /from 1 to 65535/], ['[:::::]:5000', /not an IP address/],
    ['[fd00::zz]:5000', /not an IP address/], ['256.1.1.1:5000', /not an IP address/], ['1.2.3:5000', /not an IP address/], ['-bad.example:5000', /not an IP address/], ['$(id):5000', /not an IP address/]]) {
    assert.throws(() => parseAddress(bad), msg, bad);
  }
});

test('checks: CA PEM without key, certs.d directories, owner', () => {
  checkCaPem(ca.certPem, 'x');
  assert.throws(() => checkCaPem(ca.certPem + ca.keyPem, 'The file'), /The file holds a private key; give the CA certificate \(ca\.crt\) only/);
  assert.throws(() => checkCaPem('nope', 'The file'), /does not hold a PEM certificate/);
  assert.is(checkCertsDir('/etc/containerd/certs.d', 'd'), '/etc/containerd/certs.d');
  for (const bad of ['/', 'etc/x', '/etc/../x', '/etc/./x', '/etc/x/', '/etc/x y', '/etc/$(id)']) {
    assert.throws(() => checkCertsDir(bad, '--docker-dir'), /--docker-dir must be an absolute directory/, bad);
  }
  assert.is(checkOwner('registry/eyoh-creg'), 'registry/eyoh-creg');
  for (const bad of ['eyoh', 'a/b/c', 'A/b', '/x', 'x/']) assert.throws(() => checkOwner(bad), /<namespace>\/<fullname>/, bad);
});

test('planTrust: marker first, ca.crt byte for byte, hosts.toml for containerd only, at the runtime paths', () => {
  const p = planTrust({
    caPem: ca.certPem, address: formatAddress('10.1.2.3', 5000), owner: 'registry/eyoh-creg',
    dirs: [{ kind: 'containerd', certsDir: '/etc/containerd/certs.d' }, { kind: 'docker', certsDir: '/etc/docker/certs.d' }],
  });
  assert.equal(p.dirs.map((d) => d.files.map((f) => f.name)), [[MARKER_FILE, 'ca.crt', 'hosts.toml'], [MARKER_FILE, 'ca.crt']]);
  assert.is(p.dirs[0].files[0].content, 'registry/eyoh-creg\n');
  assert.is(p.dirs[0].files[1].content, ca.certPem);
  assert.is(p.dirs[1].files[1].path, '/etc/docker/certs.d/10.1.2.3:5000/ca.crt');
  assert.ok(p.dirs.every((d) => d.files.every((f) => f.mode === 0o644)));
  assert.is(p.dirs[0].files[2].content, hostsToml('10.1.2.3:5000', '/etc/containerd/certs.d/10.1.2.3:5000/ca.crt'));
  assert.is(hostsToml('[fd00::1]:5000', '/c/ca.crt'), 'server = "https://[fd00::1]:5000"\n[host."https://[fd00::1]:5000"]\n  capabilities = ["pull", "resolve"]\n  ca = "/c/ca.crt"\n');
});

test('chartFullname follows _helpers.tpl creg.fullname', () => {
  assert.is(chartFullname('eyoh'), 'eyoh-creg');
  assert.is(chartFullname('my-creg'), 'my-creg');
  assert.is(chartFullname('x', 'creg', 'custom'), 'custom');
  assert.is(chartFullname('a'.repeat(50)), 'a'.repeat(42));
});

test.run();
