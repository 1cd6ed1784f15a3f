import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certificateMatches,
  certificateMismatch,
  createBootstrapCertificate,
  createCertificateAuthority,
  normalizeDnsName,
  normalizeIp,
  signLocally,
  signServerCertificate,
  writeKeyFile,
} from '../dist/pki/index.js';

const DAY = 86_400_000;
const dirs = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'creg-pki-'));
  dirs.push(d);
  return d;
};
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// one CA and one server certificate shared by the read-only checks (RSA keygen is the slow part)
const ca = createCertificateAuthority({ commonName: 'test CA', validityDays: 3650 });
const server = signServerCertificate({
  ca,
  ips: ['10.100.153.175', 'fd00::10'],
  dnsNames: ['registry-svc.default.svc', 'Registry.Example.com'],
  validityDays: 365,
});
const caX = new X509Certificate(ca.certPem);
const srvX = new X509Certificate(server.certPem);

test('CA certificate: CA:true, pathlen 0, keyCertSign+cRLSign, self-signed', () => {
  assert.ok(caX.ca, 'ca flag');
  assert.ok(caX.verify(caX.publicKey), 'self-signed');
  assert.ok(caX.checkIssued(caX));
  assert.ok(caX.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.match(caX.subject, /CN=test CA/);
  const days = (Date.parse(caX.validTo) - Date.now()) / DAY;
  assert.ok(days > 3649 && days <= 3650.01, `CA validity ${days}`);
});

test('CA extensions in DER: basicConstraints critical with pathlen 0, keyUsage keyCertSign+cRLSign', () => {
  // node:crypto exposes no parsed extensions: look for their exact DER encodings
  const der = caX.raw.toString('hex');
  // basicConstraints OID 2.5.29.19, critical TRUE, SEQUENCE { BOOLEAN TRUE, INTEGER 0 }
  assert.ok(der.includes('0603551d130101ff040830060101ff020100'), 'basicConstraints CA:true critical pathlen:0');
  // keyUsage OID 2.5.29.15, critical, BIT STRING keyCertSign(5)+cRLSign(6) = 0x06 with 1 unused bit
  assert.ok(der.includes('0603551d0f0101ff040403020106'), 'keyUsage keyCertSign, cRLSign critical');
  assert.ok(der.includes('0603551d0e'), 'subjectKeyIdentifier');
});

test('server certificate: IP and DNS SANs, case-insensitive DNS, no others', () => {
  assert.is(srvX.checkIP('10.100.153.175'), '10.100.153.175');
  assert.is(srvX.checkIP('fd00:0:0::10'), 'fd00:0:0::10');
  assert.is(srvX.checkIP('10.100.153.176'), undefined);
  assert.is(srvX.checkHost('registry-svc.default.svc'), 'registry-svc.default.svc');
  assert.is(srvX.checkHost('registry.example.com'), 'registry.example.com');
  assert.is(srvX.checkHost('other.example.com'), undefined);
  assert.match(srvX.subjectAltName, /DNS:registry\.example\.com/);
});

test('server certificate: signed by the CA, CA:false, serverAuth, digitalSignature+keyEncipherment, SKI/AKI', () => {
  assert.ok(srvX.verify(caX.publicKey), 'signature by CA key');
  assert.ok(srvX.checkIssued(caX), 'issuer matches CA subject');
  assert.not.ok(srvX.ca, 'not a CA');
  assert.ok(srvX.checkPrivateKey(createPrivateKey(server.keyPem)));
  assert.equal(srvX.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extKeyUsage serverAuth only');
  const der = srvX.raw.toString('hex');
  assert.ok(der.includes('0603551d130101ff04023000'), 'basicConstraints CA:false critical');
  assert.ok(der.includes('0603551d0f0101ff0404030205a0'), 'keyUsage digitalSignature+keyEncipherment critical');
  // AKI keyIdentifier must equal the CA's SKI
  const caSki = /0603551d0e04160414([0-9a-f]{40})/.exec(caX.raw.toString('hex'))?.[1];
  assert.ok(caSki, 'CA SKI present');
  assert.ok(der.includes(`0603551d23041830168014${caSki}`), 'AKI = CA SKI');
  assert.ok(/^[0-7]/.test(srvX.serialNumber), 'positive serial');
  assert.is.not(srvX.serialNumber, caX.serialNumber);
});

test('validity window: notBefore slightly in the past, notAfter = days', () => {
  const nb = Date.parse(srvX.validFrom);
  const na = Date.parse(srvX.validTo);
  const now = Date.now();
  assert.ok(nb < now - 60_000 && nb > now - 3_600_000, `notBefore ${srvX.validFrom}`);
  const days = (na - now) / DAY;
  assert.ok(days > 364.9 && days <= 365.01, `days ${days}`);
});

test('server notAfter is capped at the CA notAfter', () => {
  const shortCa = createCertificateAuthority({ commonName: 'short', validityDays: 10 });
  const s = signServerCertificate({ ca: shortCa, ips: ['10.0.0.1'], validityDays: 365 });
  assert.is(new X509Certificate(s.certPem).validTo, new X509Certificate(shortCa.certPem).validTo);
});

test('bootstrap certificate: self-signed, 127.0.0.1 + given IPs, not a CA', () => {
  const b = createBootstrapCertificate({ ips: ['10.244.1.7'] });
  const x = new X509Certificate(b.certPem);
  assert.ok(x.verify(x.publicKey));
  assert.not.ok(x.ca);
  assert.is(x.checkIP('10.244.1.7'), '10.244.1.7');
  assert.is(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.is(x.checkHost('localhost'), 'localhost');
});

test('certificateMatches: true for the same CA, SANs (any order/format) and enough days', () => {
  const want = { ips: ['fd00:0::10', '10.100.153.175'], dnsNames: ['registry.example.com', 'registry-svc.default.svc'], minRemainingDays: 30 };
  assert.ok(certificateMatches(server.certPem, ca.certPem, want));
  assert.is(certificateMismatch(server.certPem, ca.certPem, want), null);
});

test('certificateMatches: false for another CA, other SANs, near expiry, garbage', () => {
  const base = { ips: ['10.100.153.175', 'fd00::10'], dnsNames: ['registry-svc.default.svc', 'registry.example.com'], minRemainingDays: 30 };
  const other = createCertificateAuthority({ commonName: 'test CA', validityDays: 3650 }); // same subject, other key
  assert.not.ok(certificateMatches(server.certPem, other.certPem, base));
  assert.match(certificateMismatch(server.certPem, other.certPem, base), /not signed by the CA/);
  assert.match(certificateMismatch(server.certPem, ca.certPem, { ...base, ips: ['10.100.153.175'] }), /IP SANs/);
  assert.match(certificateMismatch(server.certPem, ca.certPem, { ...base, ips: [...base.ips, '10.0.0.9'] }), /IP SANs/);
  assert.match(certificateMismatch(server.certPem, ca.certPem, { ...base, dnsNames: ['registry.example.com'] }), /DNS SANs/);
  assert.not.ok(certificateMatches(server.certPem, ca.certPem, { ...base, minRemainingDays: 400 }));
  assert.match(certificateMismatch(server.certPem, ca.certPem, { ...base, now: new Date(Date.now() + 340 * DAY) }), /expires/);
  assert.not.ok(certificateMatches('not a cert', ca.certPem, base));
  assert.not.ok(certificateMatches(ca.certPem, ca.certPem, base), 'a CA is not a server cert');
});

test('input validation: clear errors for bad IPs, DNS names and days', () => {
  for (const bad of ['300.1.1.1', '10.0.0', '10.0.0.01', 'fe80::1%eth0', '[::1]', '10.0.0.1:5000', '', ' 10.0.0.1']) {
    assert.throws(() => normalizeIp(bad, '--ip'), (e) => e.message.startsWith(`--ip ${JSON.stringify(bad)} is not an IPv4 or IPv6`), bad);
  }
  assert.is(normalizeIp('::ffff:10.0.0.1'), '0:0:0:0:0:ffff:a00:1');
  for (const bad of ['-x.example', 'a_b.example', 'x..y', '10.0.0.1', 'a'.repeat(64) + '.com', 'bad name']) {
    assert.throws(() => normalizeDnsName(bad, '--dns'), /--dns .* is not a valid DNS name/, bad);
  }
  assert.is(normalizeDnsName('Registry.Example.COM.'), 'registry.example.com');
  assert.throws(() => signServerCertificate({ ca, ips: [], dnsNames: [], validityDays: 30 }), /at least one IP address or DNS name/);
  assert.throws(() => signServerCertificate({ ca, ips: ['10.0.0.1'], validityDays: 0 }), /whole number of days/);
  assert.throws(() => signServerCertificate({ ca: server, ips: ['10.0.0.1'], validityDays: 30 }), /not a CA certificate/);
  assert.throws(() => signServerCertificate({ ca: { certPem: ca.certPem, keyPem: server.keyPem }, ips: ['10.0.0.1'], validityDays: 30 }), /does not belong/);
});

test('signLocally: creates a CA, writes ca.crt/ca.key/tls.crt/tls.key, keys 0600', () => {
  const out = tmp();
  const r = signLocally({ ips: ['127.0.0.1'], dnsNames: ['localhost'], outDir: out });
  assert.ok(r.caCreated);
  for (const f of ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']) assert.ok(existsSync(join(out, f)), f);
  assert.is(statSync(join(out, 'tls.key')).mode & 0o777, 0o600);
  assert.is(statSync(join(out, 'ca.key')).mode & 0o777, 0o600);
  assert.is(statSync(join(out, 'tls.crt')).mode & 0o777, 0o644);
  const x = new X509Certificate(readFileSync(join(out, 'tls.crt')));
  assert.ok(x.verify(new X509Certificate(readFileSync(join(out, 'ca.crt'))).publicKey));
  // a second run into the same directory reuses its CA (client trust is kept)
  const caBefore = readFileSync(join(out, 'ca.crt'), 'utf8');
  const r2 = signLocally({ ips: ['127.0.0.1'], outDir: out });
  assert.not.ok(r2.caCreated);
  assert.is(readFileSync(join(out, 'ca.crt'), 'utf8'), caBefore);
});

test('signLocally with --ca-dir: reuses the CA, no ca.key written to --out', () => {
  const caDir = tmp();
  signLocally({ ips: ['127.0.0.1'], outDir: caDir });
  const caCrt = readFileSync(join(caDir, 'ca.crt'), 'utf8');
  const caKey = readFileSync(join(caDir, 'ca.key'), 'utf8');
  const out = tmp();
  const r = signLocally({ ips: ['10.0.0.5'], outDir: out, caDir });
  assert.not.ok(r.caCreated);
  assert.not.ok(existsSync(join(out, 'ca.key')), 'no ca.key in --out');
  assert.is(readFileSync(join(out, 'ca.crt'), 'utf8'), caCrt);
  assert.is(readFileSync(join(caDir, 'ca.key'), 'utf8'), caKey, 'CA key untouched');
  const x = new X509Certificate(readFileSync(join(out, 'tls.crt')));
  assert.ok(x.verify(new X509Certificate(caCrt).publicKey));
  assert.is(x.checkIP('10.0.0.5'), '10.0.0.5');
});

test('signLocally: half a CA in --ca-dir is an error naming the fix', () => {
  const caDir = tmp();
  writeFileSync(join(caDir, 'ca.crt'), ca.certPem);
  assert.throws(() => signLocally({ ips: ['127.0.0.1'], outDir: tmp(), caDir }), /holds ca\.crt but not ca\.key/);
  assert.throws(() => signLocally({ ips: ['nope'], outDir: tmp() }), /^--ip "nope"/);
});

test('writeKeyFile: mode 0600, atomic (no temp files left), overwrites', () => {
  const d = tmp();
  const p = join(d, 'k.key');
  writeKeyFile(p, 'one');
  writeKeyFile(p, 'two');
  assert.is(readFileSync(p, 'utf8'), 'two');
  assert.is(statSync(p).mode & 0o777, 0o600);
  assert.equal(readdirSync(d), ['k.key']);
});

test.run();
