// Which files make a machine's container runtimes trust the registry's CA
// (DESIGN.md section 3 "Node trust"). Pure: no file system, no processes.
// chart-templates/files/node-trust.sh (the node trust DaemonSet) writes exactly
// these files; test/trust-script.test.mjs checks the two agree.
import { isIP } from 'node:net';

export type RuntimeKind = 'containerd' | 'docker' | 'containers';

export const RUNTIME_KINDS: readonly RuntimeKind[] = ['containerd', 'docker', 'containers'];

/** Default certs.d directories (the chart's nodeTrust.*CertsDir defaults). */
export const DEFAULT_CERTS_DIRS: Readonly<Record<RuntimeKind, string>> = {
  containerd: '/etc/containerd/certs.d',
  docker: '/etc/docker/certs.d',
  containers: '/etc/containers/certs.d',
};

/** Marks an `<ip>:<port>` directory as written by creg-chart; holds the owner. */
export const MARKER_FILE = '.creg-chart-owner';

/** Every file name creg-chart writes in an `<ip>:<port>` directory. */
export const MANAGED_FILES: readonly string[] = [MARKER_FILE, 'ca.crt', 'hosts.toml'];

export class TrustInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustInputError';
  }
}

export interface RegistryAddress {
  host: string;
  port: number;
  /** `ip:port`, or `[ipv6]:port`: the directory name and the image reference prefix. */
  address: string;
}

const HOSTNAME = /^([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

export function formatAddress(host: string, port: number): RegistryAddress {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TrustInputError(`The registry port must be a number from 1 to 65535, not ${JSON.stringify(port)}.`);
  }
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.includes(':')) {
    if (isIP(h) !== 6) throw new TrustInputError(`"${host}" is not an IP address or host name.`);
    return { host: h, port, address: `[${h}]:${port}` };
  }
  if (isIP(h) !== 4 && !(HOSTNAME.test(h) && !/^[0-9.]+$/.test(h) && h.length <= 253)) {
    throw new TrustInputError(`"${host}" is not an IP address or host name.`);
  }
  return { host: h, port, address: `${h}:${port}` };
}

/** Parses `IP:PORT` (or `[IPv6]:PORT`). */
export function parseAddress(text: string): RegistryAddress {
  const s = text.trim().replace(/^https:\/\//, '').replace(/\/+$/, '');
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(s);
  if (!m) {
    throw new TrustInputError(`--address must be the registry's IP:PORT as nodes pull from it, e.g. 10.100.153.175:5000, not "${text}".`);
  }
  return formatAddress(m[1], Number(m[2]));
}

/** containerd's hosts.toml for one registry, exactly as DESIGN.md section 3 shows. */
export function hostsToml(address: string, caPath: string): string {
  return [
    `server = "https://${address}"`,
    `[host."https://${address}"]`,
    `  capabilities = ["pull", "resolve"]`,
    `  ca = "${caPath}"`,
    '',
  ].join('\n');
}

/** Checks that text holds at least one PEM certificate and no private key. */
export function checkCaPem(pem: string, where: string): void {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new TrustInputError(`${where} holds a private key; give the CA certificate (ca.crt) only.`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) {
    throw new TrustInputError(`${where} does not hold a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
}

export interface TrustDir {
  kind: RuntimeKind;
  /** The certs.d directory as the machine's runtime sees it (absolute). */
  certsDir: string;
}

export interface PlannedFile {
  /** File name inside the address directory. */
  name: string;
  /** Path as the runtime sees it: `<certsDir>/<address>/<name>`. */
  path: string;
  content: string;
  mode: number;
}

export interface PlannedDir {
  kind: RuntimeKind;
  certsDir: string;
  /** `<certsDir>/<address>` */
  addressDir: string;
  /** In write order: marker first, so a half-written directory is known as ours. */
  files: PlannedFile[];
}

export interface TrustPlan {
  address: RegistryAddress;
  owner: string;
  dirs: PlannedDir[];
}

/** Checks a certs.d directory: absolute, normalised, not `/`. */
export function checkCertsDir(dir: string, what: string): string {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(dir) || dir.split('/').some((p) => p === '.' || p === '..')) {
    throw new TrustInputError(`${what} must be an absolute directory (letters, digits, ".", "_", "-"; no "." or ".." parts, no trailing "/"), not "${dir}".`);
  }
  return dir;
}

/** Checks the owner written to the marker: `<namespace>/<fullname>`. */
export function checkOwner(owner: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(owner)) {
    throw new TrustInputError(`The owner must be <namespace>/<fullname>, not "${owner}".`);
  }
  return owner;
}

/**
 * The files for one registry address in each directory:
 *   <dir>/<ip>:<port>/.creg-chart-owner   "<owner>\n"
 *   <dir>/<ip>:<port>/ca.crt              the CA, byte for byte
 *   <dir>/<ip>:<port>/hosts.toml          containerd only
 */
export function planTrust(input: { caPem: string; address: RegistryAddress; owner: string; dirs: TrustDir[] }): TrustPlan {
  checkCaPem(input.caPem, 'The CA');
  checkOwner(input.owner);
  const dirs = input.dirs.map(({ kind, certsDir }) => {
    checkCertsDir(certsDir, `The ${kind} certs.d directory`);
    const addressDir = `${certsDir}/${input.address.address}`;
    const file = (name: string, content: string): PlannedFile => ({ name, path: `${addressDir}/${name}`, content, mode: 0o644 });
    const files = [file(MARKER_FILE, `${input.owner}\n`), file('ca.crt', input.caPem)];
    if (kind === 'containerd') files.push(file('hosts.toml', hostsToml(input.address.address, `${addressDir}/ca.crt`)));
    return { kind, certsDir, addressDir, files };
  });
  return { address: input.address, owner: input.owner, dirs };
}

/** Helm's fullname rule of the chart (templates/_helpers.tpl "creg.fullname"). */
export function chartFullname(release: string, chartName = 'creg', fullnameOverride?: string): string {
  const cut = (s: string) => s.slice(0, 42).replace(/-+$/, '');
  if (fullnameOverride) return cut(fullnameOverride);
  return release.includes(chartName) ? cut(release) : cut(`${release}-${chartName}`);
}

/** Single-quotes a string for POSIX sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A POSIX sh script doing what applying the plan does (for `--print`): first a check of every
 * directory (stop, writing nothing, where a ca.crt/hosts.toml without our marker is in the way),
 * then mkdir, and each file written to a temporary name and renamed into place.
 * `root` is prefixed to every path (default none).
 */
export function planToShell(plan: TrustPlan, root = ''): string {
  const r = root.replace(/\/+$/, '');
  const out = [
    '#!/bin/sh',
    `# creg-chart trust: make this machine trust the registry at ${plan.address.address}`,
    `# Run as root, e.g.: creg-chart trust ... --print | sudo sh`,
    'set -eu',
    'umask 022',
    '',
    '# Stop before writing anything if a directory holds trust files creg-chart did not write.',
    'guard() {',
    `  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then echo "creg-chart trust: $1 is not a directory; remove it first" >&2; exit 1; fi`,
    `  if { [ -e "$1/ca.crt" ] || [ -e "$1/hosts.toml" ]; } && [ "$(cat "$1/${MARKER_FILE}" 2>/dev/null)" != ${shQuote(plan.owner)} ]; then`,
    `    echo "creg-chart trust: $1 holds a ca.crt/hosts.toml that creg-chart (${plan.owner}) did not write; move it away first" >&2; exit 1`,
    '  fi',
    '}',
    ...plan.dirs.map((d) => `guard ${shQuote(r + d.addressDir)}`),
  ];
  for (const d of plan.dirs) {
    out.push('', `# ${d.kind}`, `mkdir -p ${shQuote(r + d.addressDir)}`);
    for (const f of d.files) {
      const tmp = shQuote(`${r}${d.addressDir}/.${f.name}.tmp.creg`);
      let eof = 'CREG_EOF';
      while (f.content.includes(eof)) eof += '_';
      if (f.content.endsWith('\n')) {
        out.push(`cat > ${tmp} <<'${eof}'`, f.content.replace(/\n$/, ''), eof);
      } else {
        // printf '%s' keeps a file without a final newline byte for byte.
        out.push(`printf '%s' ${shQuote(f.content)} > ${tmp}`);
      }
      out.push(`chmod ${f.mode.toString(8).padStart(4, '0')} ${tmp}`, `mv -f ${tmp} ${shQuote(r + f.path)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * A POSIX sh script that deletes what creg-chart wrote for `owner` (for `--remove --print`): in each
 * certs.d directory, every address directory (or only `address`) whose marker names `owner` loses
 * ca.crt, hosts.toml and the marker, and goes when nothing else is left in it.
 */
export function removalToShell(owner: string, certsDirs: { kind: RuntimeKind; certsDir: string }[], root = '', address?: string): string {
  checkOwner(owner);
  const r = root.replace(/\/+$/, '');
  const out = [
    '#!/bin/sh',
    `# creg-chart trust --remove: delete the trust files of ${owner}${address ? ` for ${address}` : ''}`,
    '# Run as root, e.g.: creg-chart trust ... --remove --print | sudo sh',
    'set -eu',
    'remove_ours() {',
    `  [ -d "$1" ] && [ ! -L "$1" ] && [ "$(cat "$1/${MARKER_FILE}" 2>/dev/null)" = ${shQuote(owner)} ] || return 0`,
    `  rm -f "$1/hosts.toml" "$1/ca.crt" "$1/${MARKER_FILE}"`,
    '  if rmdir "$1" 2>/dev/null; then echo "removed $1"; else echo "removed our files from $1 (other files kept)"; fi',
    '}',
  ];
  for (const d of certsDirs) {
    checkCertsDir(d.certsDir, `The ${d.kind} certs.d directory`);
    const dir = shQuote(r + d.certsDir);
    out.push('', `# ${d.kind}`);
    if (address) out.push(`remove_ours ${dir}/${shQuote(address)}`);
    else out.push(`for d in ${dir}/*; do remove_ours "$d"; done`);
  }
  return `${out.join('\n')}\n`;
}
