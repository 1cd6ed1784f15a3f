// Entry point of the bundled signer (dist/signer/signer.js): node signer.js <sign|prepare-tls|in-cluster> [flags]
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { describeLocalResult, signLocally } from '../pki/local.js';
import { PkiInputError } from '../pki/validate.js';
import { ConfigError } from './decide.mjs';
import { runInCluster } from './incluster.mjs';
import { KubeApiError } from './kube.mjs';
import { AuthConfigError } from './auth.mjs';
import { runMaintenance } from './maintenance.mjs';
import { prepareHtpasswd, prepareTls } from './prepare.mjs';

export const USAGE = `usage:
  node signer.js sign --ip IP [--ip IP ...] [--dns NAME ...] --out DIR [--ca-dir DIR] [--days N] [--ca-days N]
      sign a server certificate locally; reuses ca.crt+ca.key in --ca-dir (default --out) or creates a CA there
  node signer.js prepare-tls --from DIR --to DIR [--ip IP ...] [--dns NAME ...] [--htpasswd-from FILE --htpasswd-to FILE]
      registry init container: copy tls.crt/tls.key from the mounted Secret, or write a temporary
      self-signed certificate (for --ip, $POD_IP/$POD_IPS and 127.0.0.1); with --htpasswd-*, copy the
      htpasswd file (auth on), or write an empty one (every login refused) until the signer made it
  node signer.js in-cluster
      Helm hook: sign the certificate for the Service's ClusterIP and restart registry pods when needed
      (env: POD_NAMESPACE SERVICE_NAME CA_STORE CA_CONFIGMAP TLS_STORE WORKLOAD_KIND WORKLOAD_NAME POD_SELECTOR
       DNS_NAMES CLUSTER_DOMAIN CERT_VALIDITY_DAYS CA_VALIDITY_DAYS READY_TIMEOUT_SECONDS
       AUTH_MODE AUTH_HTPASSWD_SECRET AUTH_PUSH_SECRET AUTH_PULL_SECRET AUTH_PUSH_USER AUTH_PULL_USER
       REGISTRY_PORT DISCOVERY DISCOVERY_HELP
       KUBE_API_URL KUBE_TOKEN_FILE KUBE_CA_FILE)
  node signer.js maintenance read-only|read-write|recover
      garbage-collection Job: switch the registry to read-only (before GC; records POD_NAME) or back to
      read-write (after; fails when GC_EXIT_FILE does not hold 0), restarting registry pods one at a time;
      recover (gc-recover CronJob): back to read-write when the recorded pod, among GC_POD_SELECTOR's,
      is gone or has ended
      (env: POD_NAMESPACE MAINTENANCE_CONFIGMAP WORKLOAD_KIND WORKLOAD_NAME POD_SELECTOR READY_TIMEOUT_SECONDS GC_EXIT_FILE
       POD_NAME GC_POD_SELECTOR)`;

class UsageError extends Error {}

const log = (line: string) => console.log(`signer: ${line}`);

function parse(args: string[], options: ParseArgsConfig['options']) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, any>;
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

function num(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} must be a whole number of days, not ${JSON.stringify(v)}.`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  try {
    switch (mode) {
      case 'sign': {
        const v = parse(rest, {
          ip: { type: 'string', multiple: true },
          dns: { type: 'string', multiple: true },
          out: { type: 'string' },
          'ca-dir': { type: 'string' },
          days: { type: 'string' },
          'ca-days': { type: 'string' },
        });
        if (!v.out) throw new UsageError('--out DIR is required (the directory that receives ca.crt, tls.crt, tls.key).');
        if (!v.ip?.length && !v.dns?.length) throw new UsageError('give at least one --ip IP (e.g. the Service ClusterIP) or --dns NAME.');
        const r = signLocally({
          ips: v.ip ?? [],
          dnsNames: v.dns ?? [],
          outDir: v.out,
          caDir: v['ca-dir'],
          validityDays: num(v.days, '--days'),
          caValidityDays: num(v['ca-days'], '--ca-days'),
        });
        describeLocalResult(r).forEach(log);
        return 0;
      }
      case 'prepare-tls': {
        const v = parse(rest, {
          from: { type: 'string' },
          to: { type: 'string' },
          ip: { type: 'string', multiple: true },
          dns: { type: 'string', multiple: true },
          'htpasswd-from': { type: 'string' },
          'htpasswd-to': { type: 'string' },
        });
        if (!v.from || !v.to) throw new UsageError('prepare-tls needs --from DIR (the mounted TLS Secret) and --to DIR (where the registry reads tls.crt/tls.key).');
        prepareTls({ fromDir: v.from, toDir: v.to, ips: v.ip ?? [], dnsNames: v.dns ?? [] }, log);
        if (!v['htpasswd-from'] !== !v['htpasswd-to']) throw new UsageError('--htpasswd-from FILE and --htpasswd-to FILE go together.');
        if (v['htpasswd-from']) prepareHtpasswd(v['htpasswd-from'], v['htpasswd-to'], log);
        return 0;
      }
      case 'in-cluster': {
        parse(rest, {});
        await runInCluster(process.env, log);
        return 0;
      }
      case 'maintenance': {
        const [which, ...more] = rest;
        if (which !== 'read-only' && which !== 'read-write' && which !== 'recover') throw new UsageError(`maintenance needs read-only, read-write or recover, not ${JSON.stringify(which ?? '')}.`);
        parse(more, {});
        await runMaintenance(which, process.env, log);
        return 0;
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return mode === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown mode ${JSON.stringify(mode)}; use sign, prepare-tls, in-cluster or maintenance.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`signer: error: ${e.message} (run "node signer.js --help" for usage)`);
      return 2;
    }
    if (e instanceof PkiInputError || e instanceof ConfigError || e instanceof KubeApiError || e instanceof AuthConfigError) {
      console.error(`signer: error: ${e.message}`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code && err.syscall) {
      console.error(`signer: error: ${err.syscall} ${err.path ?? ''} failed: ${err.code}`.replace(/\s+/g, ' '));
      return 1;
    }
    console.error(`signer: error: ${(err && err.message) || String(e)}`.split('\n')[0]);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`signer: error: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
