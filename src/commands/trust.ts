import type { Argv } from 'yargs';
import { UserError } from '../errors.js';

export const command = 'trust';
export const describe = "Make this machine's docker, containerd and podman/CRI-O trust the registry's CA (for machines outside the cluster)";

const RUNTIMES = ['containerd', 'docker', 'containers'] as const;

/** Owner written to the marker when the CA comes from a file (no release known). */
export const LOCAL_OWNER = 'local/creg-chart-trust';
type Runtime = (typeof RUNTIMES)[number];

export function builder(y: Argv) {
  return y
    .option('release', { type: 'string', describe: 'Helm release of the registry: reads its Service (ClusterIP:port) and the CA ConfigMap through kubectl' })
    .option('namespace', { alias: 'n', type: 'string', describe: "namespace of the release (default: the kube context's)" })
    .option('kube-context', { type: 'string', describe: 'kubeconfig context to use' })
    .option('kubeconfig', { type: 'string', describe: 'path to the kubeconfig file' })
    .option('ca-file', { type: 'string', describe: "the registry's CA certificate (ca.crt), instead of --release" })
    .option('address', { type: 'string', describe: 'the registry address IP:PORT as clients pull from it (with --ca-file), e.g. 10.100.153.175:5000' })
    .option('runtime', {
      type: 'string',
      array: true,
      choices: RUNTIMES as unknown as string[],
      describe: 'which trust directories to write (repeatable; default: each runtime whose configuration directory, e.g. /etc/docker, exists)',
    })
    .option('containerd-dir', { type: 'string', default: '/etc/containerd/certs.d', describe: "containerd's registry config_path" })
    .option('docker-dir', { type: 'string', default: '/etc/docker/certs.d', describe: "Docker's certs.d directory" })
    .option('containers-dir', { type: 'string', default: '/etc/containers/certs.d', describe: 'certs.d of podman, CRI-O, skopeo, buildah' })
    .option('mirrors', {
      type: 'boolean',
      default: false,
      describe: "with --release of a mirror-mode release: also point this machine's containerd (certs.d/<host>/hosts.toml) and podman/CRI-O (registries.conf.d drop-in) at the mirror for its hosts, upstream as fallback; with --remove it is implied",
    })
    .option('registries-dir', { type: 'string', default: '/etc/containers/registries.conf.d', describe: 'registries.conf.d of podman and CRI-O (mirror drop-in)' })
    .option('root', { type: 'string', describe: 'prefix every path with this directory (a chroot or image root; tests)' })
    .option('print', { type: 'boolean', default: false, describe: 'print the commands and files instead of writing them (pipe to `sudo sh`)' })
    .option('remove', {
      type: 'boolean',
      default: false,
      describe: 'delete the trust files creg-chart wrote instead (those whose marker names the owner: the release, --owner, or local --ca-file trusts); foreign files stay',
    })
    .option('show-password', {
      type: 'boolean',
      default: false,
      describe: "with --release: also print the registry's push user and password (auth.enabled; read from its Secret). Without it, only a docker login command that pipes the password is shown",
    })
    .option('owner', { type: 'string', describe: `with --remove: the owner in the marker, <namespace>/<fullname> (default: ${LOCAL_OWNER})` })
    .check((argv) => {
      if (argv.remove) {
        if (argv['ca-file']) throw new UserError('--remove needs no --ca-file: it deletes what creg-chart wrote, whatever the CA.', 2);
        if (argv.release && (argv.owner || argv.address)) throw new UserError('With --remove, give --release (its owner, every address) or --owner/--address, not both.', 2);
        return true;
      }
      if (argv['show-password'] && !argv.release) throw new UserError('--show-password needs --release (the password is read from the release\'s push Secret).', 2);
      if (argv.owner) throw new UserError('--owner is for --remove only (trusting writes the owner of the release, or local/creg-chart-trust).', 2);
      if (argv.mirrors && !argv.release) throw new UserError('--mirrors needs --release: the mirrored hosts and the upstream come from the release\'s Service.', 2);
      if (argv.release && (argv['ca-file'] || argv.address)) {
        throw new UserError('Give either --release (read the CA and address from the cluster) or --ca-file with --address, not both.', 2);
      }
      if (!argv.release && !(argv['ca-file'] && argv.address)) {
        throw new UserError('Say which registry to trust: --release NAME [-n NAMESPACE] (reads the cluster), or --ca-file ca.crt --address IP:PORT.', 2);
      }
      return true;
    })
    .example('$0 trust --release eyoh -n registry', 'trust the registry of release eyoh in all three runtimes (run as root)')
    .example('$0 trust --release eyoh -n registry --print | sudo sh', 'see what would be written, then write it as root')
    .example('$0 trust --ca-file ca.crt --address 10.100.153.175:5000 --runtime docker', 'no cluster access: Docker only')
    .example('$0 trust --release hub -n mirrors --mirrors', 'trust the mirror release hub and pull docker.io through it (containerd, podman)')
    .example('$0 trust --remove --release eyoh -n registry', "delete the files written for release eyoh's registry (its mirror files too)");
}

interface Args {
  release?: string;
  namespace?: string;
  'kube-context'?: string;
  kubeconfig?: string;
  'ca-file'?: string;
  address?: string;
  runtime?: Runtime[];
  'containerd-dir': string;
  'docker-dir': string;
  'containers-dir': string;
  root?: string;
  print: boolean;
  remove: boolean;
  owner?: string;
  'show-password': boolean;
  mirrors: boolean;
  'registries-dir': string;
}

export async function handler(argv: Args): Promise<void> {
  const { statSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const { TrustInputError, checkCaPem, checkCertsDir, checkOwner, parseAddress, planTrust, planToShell, removalToShell } = await import('../trust/plan.js');
  const { applyTrustPlan, removeTrust, TrustApplyError } = await import('../trust/apply.js');
  try {
    let root = '';
    if (argv.root !== undefined) {
      root = argv.root.replace(/\/+$/, '');
      if (!root.startsWith('/')) throw new UserError(`--root must be an absolute directory, not "${argv.root}".`, 2);
      let isDir = false;
      try {
        isDir = statSync(root).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) throw new UserError(`--root ${argv.root} is not an existing directory; create it first.`, 2);
    }
    const certsDirOf = (kind: Runtime) => checkCertsDir(String(argv[`${kind}-dir`]), `--${kind}-dir`);
    RUNTIMES.forEach(certsDirOf); // every directory flag is checked, used or not
    let kinds: Runtime[];
    if (argv.runtime?.length) {
      kinds = [...new Set(argv.runtime)];
    } else if (argv.remove) {
      kinds = [...RUNTIMES]; // look everywhere; a missing directory holds nothing to remove
    } else {
      // Only the runtimes this machine has: the certs.d directory's parent (e.g. /etc/docker) exists.
      const present = (kind: Runtime) => {
        try {
          return statSync(root + dirname(certsDirOf(kind))).isDirectory();
        } catch {
          return false;
        }
      };
      kinds = RUNTIMES.filter(present);
      const skipped = RUNTIMES.filter((k) => !kinds.includes(k));
      if (kinds.length === 0) {
        throw new UserError(
          `No container runtime configuration found on this machine (${RUNTIMES.map((k) => root + dirname(certsDirOf(k))).join(', ')} do not exist). Name the runtimes to trust the registry for with --runtime containerd|docker|containers (repeatable), or point --containerd-dir/--docker-dir/--containers-dir at their certs.d directories.`,
          2,
        );
      }
      if (skipped.length) {
        console.error(`Skipping ${skipped.map((k) => `${k} (no ${root + dirname(certsDirOf(k))})`).join(', ')}; add --runtime ${skipped[0]} to write it anyway.`);
      }
    }
    const dirs = kinds.map((kind) => ({ kind, certsDir: certsDirOf(kind) }));
    const registriesDir = checkCertsDir(String(argv['registries-dir']), '--registries-dir');
    const mirrorDirs = {
      containerdDir: kinds.includes('containerd') ? certsDirOf('containerd') : undefined,
      registriesDir: kinds.includes('containers') ? registriesDir : undefined,
    };
    const mirrorMod = await import('../trust/mirror.js');
    const mirrorApply = await import('../trust/mirror-apply.js');

    if (argv.remove) {
      let owner = LOCAL_OWNER;
      let only: string | undefined;
      if (argv.release) {
        const { readReleaseTrust } = await import('../trust/cluster.js');
        owner = (await readReleaseTrust(argv.release, { namespace: argv.namespace, kubeContext: argv['kube-context'], kubeconfig: argv.kubeconfig, serviceOnly: true })).owner;
      } else {
        if (argv.owner) owner = checkOwner(argv.owner);
        if (argv.address) only = parseAddress(argv.address).address;
      }
      if (argv.print) {
        const mirrorLines = only ? [] : mirrorApply.mirrorRemovalToShell(owner, mirrorDirs.containerdDir, mirrorDirs.registriesDir, root);
        process.stdout.write(`${removalToShell(owner, dirs, root, only).replace(/\n$/, '')}${mirrorLines.length ? `\n${mirrorLines.join('\n')}` : ''}\n`);
        return;
      }
      const r = removeTrust(owner, dirs.map((d) => d.certsDir), root, only);
      for (const d of r.removed) console.log(`removed ${d}`);
      for (const d of r.kept) console.log(`removed creg-chart's files from ${d} (other files kept, so the directory stays)`);
      // Mirror files of the same owner (mirror mode), unless one address only was asked for.
      const gone = only ? [] : mirrorApply.removeMirrors(owner, mirrorDirs.containerdDir, mirrorDirs.registriesDir, root);
      for (const p of gone) console.log(`removed mirror configuration ${p}`);
      if (r.removed.length + r.kept.length + gone.length === 0) console.log(`Nothing to remove: no trust directory of ${owner}${only ? ` for ${only}` : ''} in ${dirs.map((d) => root + d.certsDir).join(', ')}.`);
      return;
    }

    let caPem: string;
    let address;
    let owner = LOCAL_OWNER;
    let source: string;
    let commands: string[] = [];
    let login: string[] = [];
    let credentials: { username: string; password: string } | undefined;
    let mirror: { upstream: string; hosts: string[] } | undefined;
    if (argv.release) {
      const { loginGuidance, readPushCredentials, readReleaseTrust } = await import('../trust/cluster.js');
      if (!argv.print) console.error(`Reading the registry Service and CA ConfigMap of release ${argv.release} through kubectl...`);
      const kubeOpts = { namespace: argv.namespace, kubeContext: argv['kube-context'], kubeconfig: argv.kubeconfig };
      const t = await readReleaseTrust(argv.release, kubeOpts);
      ({ caPem, address, owner } = t);
      login = loginGuidance(t, kubeOpts);
      if (argv['show-password']) credentials = await readPushCredentials(t, kubeOpts);
      commands = t.commands;
      if (argv.mirrors) mirror = mirrorMod.mirrorOfService(t.annotations, `Release ${argv.release} (Service ${t.namespace}/${t.service})`);
      source = `release ${argv.release}: Service ${t.namespace}/${t.service}, ConfigMap ${t.namespace}/${t.configMap}`;
    } else {
      const file = argv['ca-file']!;
      const { readRegularFile } = await import('../values/sources.js');
      try {
        // A regular file of at most 1 MiB: a FIFO or /dev/zero must not hang `trust` (often run as root).
        caPem = readRegularFile(file, `--ca-file ${file}`, 'CA certificate', 1024 * 1024).toString('utf8');
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        throw new UserError(`${e.message} Give the registry's CA certificate, e.g. from: kubectl -n NAMESPACE get configmap RELEASE-creg-ca -o jsonpath='{.data.ca\\.crt}' > ca.crt`, 2);
      }
      checkCaPem(caPem, `--ca-file ${file}`);
      address = parseAddress(argv.address!);
      source = `--ca-file ${file}`;
    }

    const plan = planTrust({ caPem, address, owner, dirs });
    const mirrorPlan = mirror ? mirrorMod.planMirrors({ caPem, address, owner, upstream: mirror.upstream, hosts: mirror.hosts, ...mirrorDirs }) : undefined;
    if (mirrorPlan && !mirrorPlan.containerd && !mirrorPlan.containers) {
      throw new UserError('--mirrors writes containerd and podman/CRI-O files only, and neither runtime was selected; add --runtime containerd or --runtime containers. Docker Engine: add the mirror to "registry-mirrors" in /etc/docker/daemon.json yourself (docs/mirror.md).', 2);
    }
    if (argv.print) {
      const head = [`# registry ${plan.address.address}, CA from ${source}`];
      if (commands.length) head.push('# read with:', ...commands.map((c) => `#   ${c}`));
      if (login.length) head.push(...login.map((l) => `# ${l}`));
      const script = planToShell(plan, root);
      const [shebang, ...rest] = script.split('\n');
      const mirrorLines = mirrorPlan ? mirrorApply.mirrorPlanToShell(mirrorPlan, root) : [];
      process.stdout.write(`${[shebang, ...head, ...rest].join('\n').replace(/\n$/, '')}${mirrorLines.length ? `\n${mirrorLines.join('\n')}` : ''}\n`);
      return;
    }
    if (mirrorPlan) mirrorApply.checkMirrorPlan(mirrorPlan, root); // a mirror conflict stops everything before the first write
    const result = applyTrustPlan(plan, root);
    for (const d of result.dirs) {
      if (d.state === 'written') console.log(`${d.kind}: wrote ${d.files.join(', ')} in ${d.dir}`);
      else if (d.state === 'unchanged') console.log(`${d.kind}: ${d.dir} already up to date`);
      else console.log(`${d.kind}: ${d.dir} already trusts this CA (${d.by}); left as is`);
    }
    console.log(`This machine now trusts ${plan.address.address} (CA from ${source}).`);
    if (mirrorPlan) {
      for (const o of mirrorApply.applyMirrorPlan(mirrorPlan, root)) console.log(`mirror: ${o.state === 'written' ? 'wrote' : 'up to date'} ${o.path}`);
      console.log(`Pulls of ${mirrorPlan.hosts.join(', ')} now try the mirror ${plan.address.address} first, then ${mirror!.upstream}.${kinds.includes('docker') ? ` Docker Engine: add "https://${plan.address.address}" to "registry-mirrors" in /etc/docker/daemon.json yourself (Docker mirrors Docker Hub only; docs/mirror.md).` : ''}`);
    }
    for (const line of login) console.log(line);
    if (credentials) console.log(`push user: ${credentials.username}\npassword: ${credentials.password}`);
    if (kinds.includes('containerd')) {
      console.log(`containerd reads ${dirs.find((d) => d.kind === 'containerd')!.certsDir} only when its registry config_path points there: check with \`containerd config dump | grep config_path\` (see docs/node-trust.md).`);
    }
  } catch (e) {
    if (e instanceof TrustInputError) throw new UserError(e.message, 2);
    if (e instanceof TrustApplyError) throw new UserError(e.message, 1);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS') {
      throw new UserError(`Cannot write ${err.path ?? 'a trust directory'} (${err.code}): the certs.d directories belong to root. Run as root (sudo creg-chart trust ...), or pipe \`creg-chart trust ... --print\` into \`sudo sh\`.`, 1);
    }
    if (err.code === 'ENOTDIR' || err.code === 'EEXIST') {
      throw new UserError(`Cannot create ${err.path ?? 'a trust directory'} (${err.code}): a file is in the way; move it, or choose another directory with --containerd-dir/--docker-dir/--containers-dir.`, 1);
    }
    throw e;
  }
}
