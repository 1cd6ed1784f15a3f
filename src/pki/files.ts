import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { CertAndKey } from './certs.js';
import { PkiInputError } from './validate.js';

/** File names used everywhere (local mode, Secrets, the registry pod's /certs). */
export const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  tlsCert: 'tls.crt',
  tlsKey: 'tls.key',
} as const;

/** Writes a private key atomically with mode 0600. */
export function writeKeyFile(path: string, keyPem: string): void {
  writeFileAtomic(path, keyPem, 0o600);
}

/** Writes a certificate atomically with mode 0644. */
export function writeCertFile(path: string, certPem: string): void {
  writeFileAtomic(path, certPem, 0o644);
}

/**
 * Loads `ca.crt` + `ca.key` from `dir`. Returns null when neither exists;
 * throws PkiInputError when only one of the two is there.
 */
export function loadCertificateAuthority(dir: string): CertAndKey | null {
  const crt = join(dir, FILES.caCert);
  const key = join(dir, FILES.caKey);
  const hasCrt = existsSync(crt);
  const hasKey = existsSync(key);
  if (!hasCrt && !hasKey) return null;
  if (!hasCrt || !hasKey) {
    throw new PkiInputError(
      `The CA directory ${dir} holds ${hasCrt ? FILES.caCert : FILES.caKey} but not ${hasCrt ? FILES.caKey : FILES.caCert}; put both files there, or point --ca-dir at an empty directory to create a new CA.`,
    );
  }
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** Saves `ca.crt` (0644) and `ca.key` (0600) into `dir`. */
export function saveCertificateAuthority(dir: string, ca: CertAndKey): void {
  writeKeyFile(join(dir, FILES.caKey), ca.keyPem);
  writeCertFile(join(dir, FILES.caCert), ca.certPem);
}

/** Saves `tls.crt` (0644), `tls.key` (0600) and, when given, `ca.crt` (0644) into `dir`. */
export function saveServerCertificate(dir: string, server: CertAndKey, caCertPem?: string): void {
  writeKeyFile(join(dir, FILES.tlsKey), server.keyPem);
  writeCertFile(join(dir, FILES.tlsCert), server.certPem);
  if (caCertPem !== undefined) writeCertFile(join(dir, FILES.caCert), caCertPem);
}

/** Loads `tls.crt` + `tls.key` from `dir`, or null when either is missing or empty. */
export function loadServerCertificate(dir: string): CertAndKey | null {
  try {
    const certPem = readFileSync(join(dir, FILES.tlsCert), 'utf8');
    const keyPem = readFileSync(join(dir, FILES.tlsKey), 'utf8');
    if (!certPem.trim() || !keyPem.trim()) return null;
    return { certPem, keyPem };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
