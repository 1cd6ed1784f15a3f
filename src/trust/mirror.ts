// The files that point a machine's container runtimes at a pull-through mirror release (mirror mode,
// docs/mirror.md). Pure: no file system. chart-templates/files/node-mirror.sh (the node trust
// DaemonSet) writes exactly these; test/trust-mirror-script.test.mjs checks the two agree, and
// `creg-chart trust --release --mirrors` writes them on a workstation (src/trust/mirror-apply.ts).
import { type RegistryAddress, TrustInputError, checkCaPem, checkCertsDir, checkOwner } from './plan.js';

/** Marks a containerd `certs.d/<host>` directory as creg-chart's mirror configuration; holds the owner. */
export const MIRROR_MARKER_FILE = '.creg-chart-mirror';

/** Every file name creg-chart writes in a `certs.d/<host>` mirror directory, marker first. */
export const MIRROR_FILES: readonly string[] = [MIRROR_MARKER_FILE, 'ca.crt', 'hosts.toml'];

/** Default containers/image registries.conf.d directory (the chart's nodeTrust.containersRegistriesDir). */
export const DEFAULT_REGISTRIES_DIR = '/etc/containers/registries.conf.d';

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?$/;
const UPSTREAM = /^https?:\/\/[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?$/;

/** Checks a mirrored registry name (`docker.io`, `registry.k8s.io`, `host:port`). */
export function checkMirrorHost(host: string, where: string): string {
  if (!HOST.test(host) || host.length > 253) {
    throw new TrustInputError(`${where}: "${host}" is not a registry host name as written in image references (e.g. docker.io, registry.k8s.io, host:5000).`);
  }
  return host;
}

/** Checks the upstream URL (`https://registry-1.docker.io`). */
export function checkUpstream(url: string, where: string): string {
  if (!UPSTREAM.test(url)) throw new TrustInputError(`${where}: "${url}" is not an upstream registry URL such as https://registry-1.docker.io.`);
  return url;
}

/** containerd's hosts.toml for one mirrored host: the mirror first (pull, resolve, its CA), the upstream as `server` (fallback). */
export function mirrorHostsToml(input: { owner: string; host: string; upstream: string; address: string; caPath: string }): string {
  return [
    `# Written by creg-chart for ${input.owner} (node trust DaemonSet, mirror mode).`,
    `# Pulls of ${input.host} try the in-cluster pull-through mirror first, then the upstream.`,
    `server = "${input.upstream}"`,
    '',
    `[host."https://${input.address}"]`,
    '  capabilities = ["pull", "resolve"]',
    `  ca = "${input.caPath}"`,
    '',
  ].join('\n');
}

/** File name of the CRI-O/podman drop-in of `owner` (<namespace>/<fullname>). */
export function registriesDropInName(owner: string): string {
  const [ns, full] = checkOwner(owner).split('/');
  return `creg-chart_${ns}_${full}.conf`;
}

/** The line that marks a registries.conf.d drop-in as written by creg-chart for `owner`. */
export function dropInMarkerLine(owner: string): string {
  return `# creg-chart-owner: ${owner}`;
}

/** The CRI-O/podman registries.conf.d drop-in: one [[registry]] with a [[registry.mirror]] per host. */
export function registriesDropIn(input: { owner: string; hosts: string[]; address: string }): string {
  const head = [
    dropInMarkerLine(input.owner),
    `# Written by creg-chart for ${input.owner} (node trust DaemonSet, mirror mode): pulls`,
    '# of these registries try the in-cluster pull-through mirror first. The',
    `# mirror's CA is in the containers certs.d directory for ${input.address}.`,
  ].join('\n');
  const blocks = input.hosts.map((h) => `\n\n[[registry]]\nprefix = "${h}"\nlocation = "${h}"\n\n[[registry.mirror]]\nlocation = "${input.address}"`);
  return `${head}${blocks.join('')}\n`;
}

export interface MirrorFile {
  name: string;
  path: string;
  content: string;
  mode: number;
}

export interface MirrorPlan {
  owner: string;
  address: RegistryAddress;
  hosts: string[];
  /** containerd: one directory per host, files in write order (marker first). */
  containerd: { certsDir: string; dirs: { host: string; dir: string; files: MirrorFile[] }[] } | null;
  /** CRI-O/podman: the drop-in. */
  containers: { dir: string; file: MirrorFile } | null;
}

/** The mirror files for a release, as node-mirror.sh writes them. */
export function planMirrors(input: {
  caPem: string;
  address: RegistryAddress;
  owner: string;
  upstream: string;
  hosts: string[];
  containerdDir?: string;
  registriesDir?: string;
}): MirrorPlan {
  checkCaPem(input.caPem, 'The CA');
  checkOwner(input.owner);
  checkUpstream(input.upstream, 'The upstream');
  const hosts = input.hosts.map((h) => checkMirrorHost(h, 'A mirror host'));
  if (hosts.length === 0) throw new TrustInputError('The release mirrors no host (mirror.hosts is empty).');
  const file = (dir: string, name: string, content: string): MirrorFile => ({ name, path: `${dir}/${name}`, content, mode: 0o644 });
  let containerd: MirrorPlan['containerd'] = null;
  if (input.containerdDir) {
    const certsDir = checkCertsDir(input.containerdDir, 'The containerd certs.d directory');
    containerd = {
      certsDir,
      dirs: hosts.map((host) => {
        const dir = `${certsDir}/${host}`;
        return {
          host,
          dir,
          files: [
            file(dir, MIRROR_MARKER_FILE, `${input.owner}\n`),
            file(dir, 'ca.crt', input.caPem),
            file(dir, 'hosts.toml', mirrorHostsToml({ owner: input.owner, host, upstream: input.upstream, address: input.address.address, caPath: `${dir}/ca.crt` })),
          ],
        };
      }),
    };
  }
  let containers: MirrorPlan['containers'] = null;
  if (input.registriesDir) {
    const dir = checkCertsDir(input.registriesDir, 'The registries.conf.d directory');
    containers = { dir, file: file(dir, registriesDropInName(input.owner), registriesDropIn({ owner: input.owner, hosts, address: input.address.address })) };
  }
  return { owner: input.owner, address: input.address, hosts, containerd, containers };
}

/** Service annotations the chart sets in mirror mode (templates/registry-service.yaml). */
export const MIRROR_HOSTS_ANNOTATION = 'creg-chart/mirror-hosts';
export const MIRROR_UPSTREAM_ANNOTATION = 'creg-chart/mirror-upstream';

/** The release's mirror settings from its Service's annotations; throws when the release is not in mirror mode. */
export function mirrorOfService(annotations: Record<string, string>, where: string): { upstream: string; hosts: string[] } {
  const hosts = (annotations[MIRROR_HOSTS_ANNOTATION] ?? '').split(/\s+/).filter(Boolean);
  if (hosts.length === 0) {
    throw new TrustInputError(`${where} is not a mirror (its Service has no ${MIRROR_HOSTS_ANNOTATION} annotation: mirror.enabled is off, or the chart predates mirror mode); leave out --mirrors.`);
  }
  return {
    upstream: checkUpstream(annotations[MIRROR_UPSTREAM_ANNOTATION] ?? '', `${where}: annotation ${MIRROR_UPSTREAM_ANNOTATION}`),
    hosts: hosts.map((h) => checkMirrorHost(h, `${where}: annotation ${MIRROR_HOSTS_ANNOTATION}`)),
  };
}
