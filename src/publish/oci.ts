import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { removeOnSignal } from '../cleanup-on-signal.js';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Helm } from '../helm/helm.js';
import { readChartFile, sha256Of } from './chart-file.js';

export interface OciTarget {
  /** `oci://HOST[:PORT]/PATH` as given. */
  url: string;
  /** `HOST[:PORT]`, what `helm registry login` takes. */
  host: string;
}

export interface OciPublishOptions {
  chartPath: string;
  to: string;
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  plainHttp?: boolean;
  username?: string;
  /** The password; it reaches helm on stdin only, never as an argument. */
  password?: string;
  force?: boolean;
  helm: Helm;
  /** Environment for helm (defaults to process.env without CREG_REGISTRY_PASSWORD). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface PublishResult {
  ref: string;
  action: 'pushed' | 'unchanged' | 'replaced';
  sha256: string;
}

const HOST = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?)(:[0-9]{1,5})?$/;
const REPO_PATH = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Checks `oci://HOST[:PORT]/PATH`; credentials in the URL are refused (they would reach logs and argument lists). */
export function parseOciTarget(to: string): OciTarget {
  const m = /^oci:\/\/([^/]+)(\/(.*))?$/.exec(to);
  if (!m) throw new UserError(`--to: expected oci://HOST[:PORT]/PATH (e.g. oci://registry.example.com/charts), got "${to}". For a chart repository folder use --to-dir.`, 2);
  const host = m[1];
  const path = (m[3] ?? '').replace(/\/+$/, '');
  if (host.includes('@')) throw new UserError(`--to: do not put credentials in the URL ("${to.replace(/\/\/[^@/]*@/, '//***@')}"); pass --username and the password on stdin (--password-stdin) or in CREG_REGISTRY_PASSWORD.`, 2);
  if (!HOST.test(host)) throw new UserError(`--to: "${host}" is not a host name or IP address with an optional :PORT.`, 2);
  if (path !== '' && !REPO_PATH.test(path)) throw new UserError(`--to: "${path}" is not a valid repository path: lower-case letters, digits, '.', '_', '-' and '/' only (e.g. charts or team/charts).`, 2);
  return { url: `oci://${host}${path ? `/${path}` : ''}`, host };
}

/** The environment helm runs with: ours, minus the password variable. */
export function helmEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.CREG_REGISTRY_PASSWORD;
  return env;
}

/**
 * Pushes a packaged chart to an OCI registry with `helm push`. With
 * credentials it logs in first (`helm registry login --password-stdin`)
 * against a temporary registry config file, removed afterwards, so neither
 * the password nor the user's own registry config is touched. Before
 * pushing it looks for the same name and version: same bytes is a no-op,
 * other bytes is refused unless `force`.
 */
export async function publishToOci(opts: OciPublishOptions): Promise<PublishResult> {
  const log = opts.log ?? (() => {});
  const target = parseOciTarget(opts.to);
  if (opts.caFile && !existsSync(opts.caFile)) throw new UserError(`--ca-file ${opts.caFile}: no such file. Give the PEM file of the CA that signed the registry's certificate.`, 2);
  if (opts.password !== undefined && !opts.username) throw new UserError('A password was given but no --username: pass --username USER as well.', 2);
  if (opts.username && opts.password === undefined) throw new UserError(`--username ${opts.username} needs a password: pipe it in with --password-stdin, or set CREG_REGISTRY_PASSWORD.`, 2);
  const env = opts.env ?? helmEnv();
  const chart = await readChartFile(opts.helm, opts.chartPath);
  const ref = `${target.url}/${chart.name}:${chart.version}`;
  const tls = [
    ...(opts.caFile ? ['--ca-file', opts.caFile] : []),
    ...(opts.insecureSkipTlsVerify ? ['--insecure-skip-tls-verify'] : []),
    ...(opts.plainHttp ? ['--plain-http'] : []),
  ];
  const work = await mkdtemp(join(tmpdir(), 'creg-publish-'));
  // The registry config helm writes holds the credentials (base64): gone on Ctrl-C too.
  const keepOnSignal = removeOnSignal(work);
  try {
    const registryConfig: string[] = [];
    if (opts.username) {
      const config = join(work, 'registry-config.json');
      registryConfig.push('--registry-config', config);
      log(`Logging in to ${target.host} as ${opts.username} (temporary registry config, removed afterwards)`);
      const helm4 = /^v?4\./.test(opts.helm.version);
      const loginTls = [
        ...(opts.caFile ? ['--ca-file', opts.caFile] : []),
        // helm registry login calls it --insecure; Helm 3's login has no --plain-http.
        ...(opts.insecureSkipTlsVerify || (opts.plainHttp && !helm4) ? ['--insecure'] : []),
        ...(opts.plainHttp && helm4 ? ['--plain-http'] : []),
      ];
      const login = await opts.helm.run(['registry', 'login', target.host, '--username', opts.username, '--password-stdin', ...loginTls, ...registryConfig], { env, input: `${opts.password}\n` });
      if (login.code !== 0) {
        const refused = /401|unauthori[sz]ed|denied/i.test(login.stderr) ? `The registry refused user ${opts.username} with this password: check both.` : hint(login.stderr);
        throw new UserError(`helm registry login ${target.host} failed: ${clean(login.stderr || login.stdout)}. ${refused}`);
      }
    }

    log(`Looking for ${ref} in the registry`);
    const pulled = join(work, 'existing');
    await mkdir(pulled);
    const pull = await opts.helm.run(['pull', `${target.url}/${chart.name}`, '--version', chart.version, '--destination', pulled, ...tls, ...registryConfig], { env });
    let action: PublishResult['action'] = 'pushed';
    if (pull.code === 0) {
      const existing = await sha256Of(join(pulled, `${chart.name}-${chart.version}.tgz`));
      if (existing === chart.sha256) {
        log(`${ref} is already published with the same content (sha256 ${chart.sha256}); nothing to do.`);
        return { ref, action: 'unchanged', sha256: chart.sha256 };
      }
      if (!opts.force) {
        throw new UserError(`${ref} is already published with different content (registry: sha256 ${existing}, ${opts.chartPath}: sha256 ${chart.sha256}). Nothing was pushed. Build with a new --chart-version, or pass --force to replace it (clusters that already installed ${chart.version} keep the old chart).`);
      }
      log(`${ref} exists with different content; replacing it (--force)`);
      action = 'replaced';
    } else if (!isNotFound(pull.stderr)) {
      throw new UserError(`cannot check whether ${ref} exists: ${clean(pull.stderr || pull.stdout)}. ${hint(pull.stderr)}`);
    }

    log(`Pushing ${opts.chartPath} to ${target.url} (helm ${opts.helm.version})`);
    const push = await opts.helm.run(['push', opts.chartPath, target.url, ...tls, ...registryConfig], { env });
    if (push.code !== 0) throw new UserError(`helm push to ${target.url} failed: ${clean(push.stderr || push.stdout)}. ${hint(push.stderr)}`);
    const digest = /Digest:\s*(sha256:[0-9a-f]+)/.exec(push.stdout + push.stderr)?.[1];
    log(`Pushed ${ref}${digest ? ` (manifest ${digest})` : ''}`);
    return { ref, action, sha256: chart.sha256 };
  } finally {
    await rm(work, { recursive: true, force: true });
    keepOnSignal();
  }
}

/** helm pull's answer for a missing tag ("...creg:0.1.0: not found"), not for missing credentials ("basic credential not found"). */
function isNotFound(stderr: string): boolean {
  if (/credential|unauthori[sz]ed|denied|x509|certificate/i.test(stderr)) return false;
  return /:\s*not found\s*$/im.test(stderr) || /manifest unknown|name unknown/i.test(stderr);
}

function clean(s: string): string {
  return s.trim().replace(/^Error:\s*/gm, '').split('\n').slice(-3).join(' ');
}

function hint(stderr: string): string {
  if (/x509|certificate/i.test(stderr)) return 'The registry\'s certificate is not trusted: pass --ca-file with the CA that signed it (or --insecure-skip-tls-verify for a test registry).';
  if (/credential|unauthorized|401|authentication required|denied/i.test(stderr)) return 'The registry wants credentials: pass --username USER and the password on stdin with --password-stdin (or in CREG_REGISTRY_PASSWORD).';
  if (/server gave HTTP response to HTTPS client/i.test(stderr)) return 'The registry speaks plain HTTP: pass --plain-http.';
  if (/connection refused|no such host|i\/o timeout/i.test(stderr)) return 'Check the host and port in --to.';
  return '';
}
