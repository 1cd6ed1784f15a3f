import type { Argv } from 'yargs';
import { UserError } from '../errors.js';

export const command = 'cert';
export const describe = 'Sign a TLS certificate for a registry address locally (reuses the CA in --ca-dir, or creates one)';

export function builder(y: Argv) {
  return y
    .option('ip', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'IP address SAN, e.g. the Service ClusterIP (repeatable)',
    })
    .option('dns', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'DNS name SAN (repeatable)',
    })
    .option('out', {
      type: 'string',
      describe: 'directory that receives ca.crt, tls.crt and tls.key',
    })
    .option('ca-dir', {
      type: 'string',
      describe: 'directory holding ca.crt + ca.key to reuse; a new CA is created there when it has none (default: --out)',
    })
    .option('days', { type: 'number', default: 365, describe: 'server certificate validity in days' })
    .option('ca-days', { type: 'number', default: 3650, describe: 'validity in days of a newly created CA' })
    .example('$0 cert --ip 10.100.153.175 --out ./certs', 'new CA and server certificate in ./certs')
    .example('$0 cert --ip 10.100.153.175 --out ./next --ca-dir ./certs', 'sign again with the existing CA');
}

interface Args {
  ip: string[];
  dns: string[];
  out?: string;
  'ca-dir'?: string;
  days: number;
  'ca-days': number;
}

export async function handler(argv: Args): Promise<void> {
  if (!argv.out) {
    throw new UserError('The --out flag is required: give the directory that receives ca.crt, tls.crt and tls.key, e.g. --out ./certs.', 2);
  }
  if (argv.ip.length === 0 && argv.dns.length === 0) {
    throw new UserError('Give at least one --ip (e.g. the Service ClusterIP, --ip 10.100.153.175) or --dns name to sign the certificate for.', 2);
  }
  for (const flag of ['days', 'ca-days'] as const) {
    if (!Number.isInteger(argv[flag]) || argv[flag] < 1) {
      throw new UserError(`The --${flag} flag must be a whole number of days of at least 1, e.g. --${flag} ${flag === 'days' ? 365 : 3650}.`, 2);
    }
  }
  const { signLocally, describeLocalResult, PkiInputError } = await import('../pki/index.js');
  try {
    const result = signLocally({
      ips: argv.ip.map(String),
      dnsNames: argv.dns.map(String),
      outDir: argv.out,
      caDir: argv['ca-dir'],
      validityDays: argv.days,
      caValidityDays: argv['ca-days'],
    });
    for (const line of describeLocalResult(result)) console.log(line);
  } catch (e) {
    if (e instanceof PkiInputError) throw new UserError(e.message, 2);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'ENOTDIR' || err.code === 'EEXIST') {
      throw new UserError(`Cannot write the certificate files (${err.code} on ${err.path ?? 'a path'}); check --out and --ca-dir point at writable directories.`);
    }
    throw e;
  }
}
