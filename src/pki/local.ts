import { resolve } from 'node:path';
import { type CertAndKey, type CertificateInfo, assertUsableCa, createCertificateAuthority, describeCertificate, signServerCertificate } from './certs.js';
import { FILES, loadCertificateAuthority, saveCertificateAuthority, saveServerCertificate } from './files.js';
import { PkiInputError, checkDays, normalizeSans } from './validate.js';

export const DEFAULT_CERT_VALIDITY_DAYS = 365;
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
export const DEFAULT_CA_COMMON_NAME = 'creg-chart registry CA';

export interface SignLocallyOptions {
  /** IP SANs (--ip). */
  ips?: readonly string[];
  /** DNS SANs (--dns). */
  dnsNames?: readonly string[];
  /** Directory receiving ca.crt, tls.crt, tls.key (--out). */
  outDir: string;
  /** Where the CA lives (--ca-dir). Reused when it holds ca.crt + ca.key, created there otherwise. Defaults to outDir. */
  caDir?: string;
  /** Server certificate validity (--days), default 365. */
  validityDays?: number;
  /** Validity of a newly created CA (--ca-days), default 3650. */
  caValidityDays?: number;
  caCommonName?: string;
}

export interface SignLocallyResult {
  caCreated: boolean;
  caDir: string;
  outDir: string;
  /** Absolute paths of every file written. */
  written: string[];
  ca: CertificateInfo;
  server: CertificateInfo;
}

/**
 * Local mode shared by `creg-chart cert` and `node signer.js sign`: reuse the CA in `caDir`
 * (or create one there), sign a server certificate for the SANs, write `ca.crt`, `tls.crt`,
 * `tls.key` into `outDir` (keys 0600, atomic). `ca.key` is only written where the CA was created.
 * Errors are PkiInputError sentences naming the flags.
 */
export function signLocally(opts: SignLocallyOptions): SignLocallyResult {
  if (!opts.outDir) throw new PkiInputError('--out is required: give the directory that receives ca.crt, tls.crt and tls.key.');
  const sans = normalizeSans(opts.ips ?? [], opts.dnsNames ?? [], { ip: '--ip', dns: '--dns' });
  const days = checkDays(opts.validityDays ?? DEFAULT_CERT_VALIDITY_DAYS, '--days');
  const caDays = checkDays(opts.caValidityDays ?? DEFAULT_CA_VALIDITY_DAYS, '--ca-days');
  const outDir = resolve(opts.outDir);
  const caDir = resolve(opts.caDir ?? opts.outDir);
  const written: string[] = [];

  let ca: CertAndKey | null = loadCertificateAuthority(caDir);
  const caCreated = ca === null;
  if (ca) {
    try {
      assertUsableCa(ca);
    } catch (e) {
      throw new PkiInputError(`${(e as Error).message.replace(/^The CA/, `The CA in ${caDir}`)} Fix or remove ${FILES.caCert}/${FILES.caKey} there (removing them creates a new CA that clients must trust again).`);
    }
  } else {
    ca = createCertificateAuthority({ commonName: opts.caCommonName ?? DEFAULT_CA_COMMON_NAME, validityDays: caDays });
    saveCertificateAuthority(caDir, ca);
    written.push(`${caDir}/${FILES.caKey}`, `${caDir}/${FILES.caCert}`);
  }
  const server = signServerCertificate({ ca, ips: sans.ips, dnsNames: sans.dnsNames, validityDays: days });
  saveServerCertificate(outDir, server, ca.certPem);
  written.push(`${outDir}/${FILES.tlsKey}`, `${outDir}/${FILES.tlsCert}`);
  if (!written.includes(`${outDir}/${FILES.caCert}`)) written.push(`${outDir}/${FILES.caCert}`);
  return { caCreated, caDir, outDir, written, ca: describeCertificate(ca.certPem), server: describeCertificate(server.certPem) };
}

/** Human-readable summary lines for a SignLocallyResult (no key material). */
export function describeLocalResult(r: SignLocallyResult): string[] {
  return [
    r.caCreated ? `created a new CA in ${r.caDir} (keep ${FILES.caKey} private; reuse it with --ca-dir)` : `reused the CA in ${r.caDir}`,
    `signed ${r.outDir}/${FILES.tlsCert} for IP [${r.server.ips.join(', ')}] DNS [${r.server.dnsNames.join(', ')}], valid until ${r.server.notAfter.toISOString()}`,
    `wrote ${r.written.join(', ')}`,
    `clients trust it with ${r.outDir}/${FILES.caCert} (e.g. /etc/docker/certs.d/<ip>:<port>/ca.crt)`,
  ];
}
