import { X509Certificate, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PkiInputError, bytesToCanonicalIp, checkDays, normalizeSans } from './validate.js';

const { pki } = forge;
const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore is set this far in the past so nodes with a slightly slow clock accept a fresh certificate. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Organisation written into every subject this module issues. */
export const ORGANIZATION = 'creg-chart';

/** A certificate and its private key, both PEM. The key is PKCS#1 RSA ("RSA PRIVATE KEY"). */
export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export interface CreateCaOptions {
  commonName: string;
  validityDays: number;
  now?: Date;
}

export interface SignServerOptions {
  ca: CertAndKey;
  ips?: readonly string[];
  dnsNames?: readonly string[];
  validityDays: number;
  commonName?: string;
  now?: Date;
}

export interface BootstrapOptions {
  ips?: readonly string[];
  dnsNames?: readonly string[];
  validityDays?: number;
  now?: Date;
}

export interface MatchOptions {
  ips?: readonly string[];
  dnsNames?: readonly string[];
  minRemainingDays: number;
  now?: Date;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  ips: string[];
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  fingerprint256: string;
}

function serialNumberHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01; // positive and minimally encoded (first byte 0x01..0x7f)
  return b.toString('hex');
}

function generateRsaKeyPair(): forge.pki.rsa.KeyPair {
  // synchronous call: node-forge delegates to Node's native generateKeyPairSync (fast)
  return pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

function validityWindow(cert: forge.pki.Certificate, days: number, now: Date, notAfterCap?: Date): void {
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  let notAfter = new Date(now.getTime() + days * DAY_MS);
  if (notAfterCap && notAfter > notAfterCap) notAfter = new Date(notAfterCap.getTime());
  cert.validity.notAfter = notAfter;
}

function subjectAttrs(commonName: string): forge.pki.CertificateField[] {
  return [
    { name: 'organizationName', value: ORGANIZATION },
    { name: 'commonName', value: commonName.slice(0, 64) },
  ];
}

function parseCertPem(pem: string, what: string): forge.pki.Certificate {
  try {
    return pki.certificateFromPem(pem);
  } catch (e) {
    throw new PkiInputError(`The ${what} is not a readable PEM certificate (${(e as Error).message}).`);
  }
}

function parseRsaKeyPem(pem: string, what: string): forge.pki.rsa.PrivateKey {
  let key: forge.pki.rsa.PrivateKey | null = null;
  try {
    // accept PKCS#1 and PKCS#8 via Node, then hand forge a PKCS#1 PEM
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'rsa') {
      throw new Error(`it is a ${k.asymmetricKeyType} key; node-forge signs with RSA keys only`);
    }
    key = pki.privateKeyFromPem(k.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  } catch (e) {
    throw new PkiInputError(`The ${what} is not a usable RSA private key (${(e as Error).message}).`);
  }
  return key;
}

function sanExtension(ips: readonly string[], dnsNames: readonly string[]) {
  return {
    name: 'subjectAltName',
    altNames: [
      ...dnsNames.map((value) => ({ type: 2, value })),
      ...ips.map((ip) => ({ type: 7, ip })),
    ],
  };
}

function sign(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): void {
  cert.sign(key, forge.md.sha256.create());
}

/** True when `keyPem` is the private key of the certificate `certPem`. Never throws. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    const pub = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    return Buffer.compare(pub, fromKey) === 0;
  } catch {
    return false;
  }
}

/**
 * Checks that `ca` is a usable CA: parseable, CA:true, RSA key matching the certificate, not expired.
 * Throws PkiInputError with a full sentence otherwise.
 */
export function assertUsableCa(ca: CertAndKey, now: Date = new Date()): void {
  let x: X509Certificate;
  try {
    x = new X509Certificate(ca.certPem);
  } catch (e) {
    throw new PkiInputError(`The CA certificate is not a readable PEM certificate (${(e as Error).message}).`);
  }
  if (!x.ca) throw new PkiInputError('The CA certificate is not a CA certificate (basicConstraints CA:false).');
  parseRsaKeyPem(ca.keyPem, 'CA key');
  if (!keyMatchesCertificate(ca.certPem, ca.keyPem)) {
    throw new PkiInputError('The CA key does not belong to the CA certificate (their public keys differ).');
  }
  if (new Date(x.validTo) <= now) {
    throw new PkiInputError(`The CA certificate expired on ${new Date(x.validTo).toISOString()}.`);
  }
}

/** Creates a self-signed RSA 2048 certificate authority (CA:true, pathlen 0, keyCertSign+cRLSign). */
export function createCertificateAuthority(opts: CreateCaOptions): CertAndKey {
  const days = checkDays(opts.validityDays, 'CA validity');
  if (!opts.commonName || typeof opts.commonName !== 'string') {
    throw new PkiInputError('A certificate authority needs a non-empty common name.');
  }
  const now = opts.now ?? new Date();
  const keys = generateRsaKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumberHex();
  validityWindow(cert, days, now);
  const attrs = subjectAttrs(opts.commonName);
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  sign(cert, keys.privateKey);
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

function leafCertificate(
  keys: forge.pki.rsa.KeyPair,
  sans: { ips: string[]; dnsNames: string[] },
  commonName: string,
  days: number,
  now: Date,
  issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | null,
): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumberHex();
  validityWindow(cert, days, now, issuer ? issuer.cert.validity.notAfter : undefined);
  cert.setSubject(subjectAttrs(commonName));
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subjectAttrs(commonName));
  const extensions: any[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    sanExtension(sans.ips, sans.dnsNames),
    { name: 'subjectKeyIdentifier' },
  ];
  if (issuer) {
    const ski = issuer.cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
    const keyIdentifier = ski?.subjectKeyIdentifier
      ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
      : issuer.cert.generateSubjectKeyIdentifier().getBytes();
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier });
  }
  cert.setExtensions(extensions);
  sign(cert, issuer ? issuer.key : keys.privateKey);
  return cert;
}

function defaultCommonName(sans: { ips: string[]; dnsNames: string[] }): string {
  const first = sans.ips[0] ?? sans.dnsNames.find((d) => d.length <= 64);
  return first ?? 'creg-chart registry';
}

/**
 * Signs an RSA 2048 server certificate with `ca` for the given IP and DNS SANs
 * (serverAuth, digitalSignature+keyEncipherment, CA:false, SKI/AKI).
 * notAfter never goes past the CA's own notAfter.
 */
export function signServerCertificate(opts: SignServerOptions): CertAndKey {
  const days = checkDays(opts.validityDays, 'Certificate validity');
  const sans = normalizeSans(opts.ips, opts.dnsNames);
  const now = opts.now ?? new Date();
  assertUsableCa(opts.ca, now);
  const caCert = parseCertPem(opts.ca.certPem, 'CA certificate');
  const caKey = parseRsaKeyPem(opts.ca.keyPem, 'CA key');
  const keys = generateRsaKeyPair();
  const cert = leafCertificate(keys, sans, opts.commonName ?? defaultCommonName(sans), days, now, {
    cert: caCert,
    key: caKey,
  });
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

/**
 * A throw-away self-signed server certificate so a registry pod can serve HTTPS
 * (and pass its probes) before the real certificate exists. Defaults: 127.0.0.1, localhost, 90 days.
 */
export function createBootstrapCertificate(opts: BootstrapOptions = {}): CertAndKey {
  const days = checkDays(opts.validityDays ?? 90, 'Bootstrap certificate validity');
  const sans = normalizeSans([...(opts.ips ?? []), '127.0.0.1'], [...(opts.dnsNames ?? []), 'localhost']);
  const keys = generateRsaKeyPair();
  const cert = leafCertificate(keys, sans, 'creg-chart bootstrap (temporary)', days, opts.now ?? new Date(), null);
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

/** Reads the parts of a certificate the signer and the CLI report on. */
export function describeCertificate(certPem: string): CertificateInfo {
  const x = new X509Certificate(certPem);
  const f = parseCertPem(certPem, 'certificate');
  const ips: string[] = [];
  const dnsNames: string[] = [];
  const san = f.getExtension('subjectAltName') as { altNames?: { type: number; value: string }[] } | null;
  for (const n of san?.altNames ?? []) {
    if (n.type === 2) dnsNames.push(n.value.toLowerCase());
    if (n.type === 7 && (n.value.length === 4 || n.value.length === 16)) {
      ips.push(bytesToCanonicalIp(Uint8Array.from(n.value, (c) => c.charCodeAt(0))));
    }
  }
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    serialNumber: x.serialNumber,
    ips,
    dnsNames,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    isCa: x.ca,
    fingerprint256: x.fingerprint256,
  };
}

/**
 * Why `certPem` would have to be re-signed, or null when it is fine: unreadable, not issued and
 * signed by `caCertPem`, SANs not exactly `ips` + `dnsNames`, not yet valid, or fewer than
 * `minRemainingDays` days left.
 */
export function certificateMismatch(certPem: string, caCertPem: string, opts: MatchOptions): string | null {
  const want = normalizeSans(opts.ips, opts.dnsNames);
  const now = opts.now ?? new Date();
  let cert: X509Certificate;
  let ca: X509Certificate;
  let info: CertificateInfo;
  try {
    cert = new X509Certificate(certPem);
    info = describeCertificate(certPem);
  } catch {
    return 'the certificate is not readable';
  }
  try {
    ca = new X509Certificate(caCertPem);
  } catch {
    return 'the CA certificate is not readable';
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'the certificate was not signed by the CA';
  if (info.isCa) return 'the certificate is a CA certificate, not a server certificate';
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  if (!same(info.ips, want.ips)) {
    return `its IP SANs [${info.ips.join(', ')}] differ from the wanted [${want.ips.join(', ')}]`;
  }
  if (!same(info.dnsNames, want.dnsNames)) {
    return `its DNS SANs [${info.dnsNames.join(', ')}] differ from the wanted [${want.dnsNames.join(', ')}]`;
  }
  if (info.notBefore > now) return `it is not valid before ${info.notBefore.toISOString()}`;
  const remainingDays = (info.notAfter.getTime() - now.getTime()) / DAY_MS;
  if (remainingDays < opts.minRemainingDays) {
    return `it expires on ${info.notAfter.toISOString()}, within ${opts.minRemainingDays} days`;
  }
  return null;
}

/** True when `certPem` is signed by `caCertPem`, has exactly the wanted SANs and at least `minRemainingDays` left. */
export function certificateMatches(certPem: string, caCertPem: string, opts: MatchOptions): boolean {
  return certificateMismatch(certPem, caCertPem, opts) === null;
}
