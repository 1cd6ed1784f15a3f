// The registry pod's init container: put tls.crt/tls.key into /certs, from the Secret or a bootstrap cert.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBootstrapCertificate, describeCertificate, keyMatchesCertificate } from '../pki/certs.js';
import { FILES, loadServerCertificate, saveServerCertificate, writeCertFile } from '../pki/files.js';
import { ipToBytes } from '../pki/validate.js';
import { writeFileAtomic } from '../atomic-file.js';

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

/**
 * The registry pod's htpasswd file (auth on): copied from the mounted Secret into memory, or, while
 * the signer hook has not made the Secret yet, an empty file: Distribution then starts and refuses
 * every login (it would otherwise invent a user and log its password), and the signer restarts the
 * pod once the Secret exists. Returns 'secret' or 'empty'. Never logs the file's content.
 */
export function prepareHtpasswd(from: string, to: string, log: (line: string) => void): 'secret' | 'empty' {
  let text = '';
  let reason = `${from} does not exist yet (the signer hook has not made the Secret)`;
  try {
    text = readFileSync(from, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') reason = `${from} could not be read (${code ?? (e as Error).message})`;
  }
  const entries = text.split('\n').filter((l) => /^[^:#\s][^:]*:\$2[aby]\$\d\d\$/.test(l.trim()));
  if (entries.length) {
    writeFileAtomic(to, entries.map((l) => l.trim()).join('\n') + '\n', 0o600);
    log(`using the htpasswd file from ${from} (${entries.length} bcrypt user${entries.length > 1 ? 's' : ''})`);
    return 'secret';
  }
  if (text.trim()) reason = `${from} has no bcrypt entries (USER:$2y$...): Distribution accepts bcrypt only`;
  writeFileAtomic(to, '', 0o600);
  log(`${reason}; wrote an empty htpasswd file to ${to}: every login is refused until the signer hook restarts this pod with the users`);
  return 'empty';
}
