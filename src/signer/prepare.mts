// The registry pod's init container: put tls.crt/tls.key into /certs, from the Secret or a bootstrap cert.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBootstrapCertificate, describeCertificate, keyMatchesCertificate } from '../pki/certs.js';
import { FILES, loadServerCertificate, saveServerCertificate, writeCertFile } from '../pki/files.js';
import { ipToBytes } from '../pki/validate.js';

export interface PrepareOptions {
  fromDir: string;
  toDir: string;
  ips?: string[];
  dnsNames?: string[];
  env?: Record<string, string | undefined>;
}

/** Returns 'secret' when the Secret's certificate was copied, 'bootstrap' when a temporary one was written. */
export function prepareTls(opts: PrepareOptions, log: (line: string) => void): 'secret' | 'bootstrap' {
  const env = opts.env ?? process.env;
  let reason = `${opts.fromDir} has no ${FILES.tlsCert}/${FILES.tlsKey} yet (the signer hook has not run)`;
  let found = null;
  try {
    found = loadServerCertificate(opts.fromDir);
  } catch (e) {
    reason = `${opts.fromDir} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (found) {
    let ok = false;
    try {
      describeCertificate(found.certPem);
      ok = keyMatchesCertificate(found.certPem, found.keyPem);
      if (!ok) reason = `${FILES.tlsKey} in ${opts.fromDir} does not belong to ${FILES.tlsCert}`;
    } catch {
      reason = `${FILES.tlsCert} in ${opts.fromDir} is not a readable certificate`;
    }
    if (ok) {
      const caPath = join(opts.fromDir, FILES.caCert);
      saveServerCertificate(opts.toDir, found);
      if (existsSync(caPath)) writeCertFile(join(opts.toDir, FILES.caCert), readFileSync(caPath, 'utf8'));
      const info = describeCertificate(found.certPem);
      log(`using the signed certificate from ${opts.fromDir}: IP [${info.ips.join(', ')}] DNS [${info.dnsNames.join(', ')}], valid until ${info.notAfter.toISOString()}`);
      if (info.notAfter.getTime() < Date.now()) log('warning: that certificate has expired; run helm upgrade so the signer renews it');
      return 'secret';
    }
  }
  const envIps = [env.POD_IP ?? '', ...(env.POD_IPS ?? '').split(',')].map((s) => s.trim()).filter((s) => s && ipToBytes(s));
  const boot = createBootstrapCertificate({ ips: [...(opts.ips ?? []), ...envIps], dnsNames: opts.dnsNames ?? [] });
  saveServerCertificate(opts.toDir, boot);
  const info = describeCertificate(boot.certPem);
  log(`${reason}; wrote a temporary self-signed certificate for IP [${info.ips.join(', ')}] to ${opts.toDir} so the registry can start. The signer hook replaces it and restarts this pod.`);
  return 'bootstrap';
}
