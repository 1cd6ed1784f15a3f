import type { Argv } from 'yargs';

export const command = 'publish <chart>';
export const describe = 'Publish a packaged chart: push it to an OCI registry (--to oci://...) or add it to a chart repository folder (--to-dir)';

export function builder(y: Argv) {
  return y
    .positional('chart', { type: 'string', describe: 'the .tgz written by `creg-chart build` (e.g. out/creg-0.1.0.tgz)' })
    .option('to', { type: 'string', describe: 'OCI registry and path: oci://HOST[:PORT]/PATH (helm push)' })
    .option('to-dir', { type: 'string', describe: 'chart repository folder: the .tgz is added and index.yaml merged (helm repo index --merge)' })
    .option('url', { type: 'string', describe: 'with --to-dir: the address the folder is served at (index.yaml entries point there)' })
    .option('ca-file', { type: 'string', describe: 'with --to: CA bundle that signed the registry\'s certificate' })
    .option('insecure-skip-tls-verify', { type: 'boolean', default: false, describe: 'with --to: do not check the registry\'s certificate (test registries only)' })
    .option('plain-http', { type: 'boolean', default: false, describe: 'with --to: talk plain HTTP to the registry' })
    .option('username', { alias: 'u', type: 'string', describe: 'with --to: registry user; the password comes from stdin (--password-stdin) or CREG_REGISTRY_PASSWORD, never from a flag' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'read the registry password from stdin' })
    .option('force', { type: 'boolean', default: false, describe: 'replace a published version whose content differs (default: refuse)' })
    .conflicts('to', 'to-dir')
    .example('$0 publish out/creg-0.1.0.tgz --to oci://registry.example.com/charts --ca-file ca.crt', 'push with helm push')
    .example('printf %s "$PASS" | $0 publish out/creg-0.1.0.tgz --to oci://registry.example.com/charts -u ci --password-stdin', 'with credentials (the password never appears in an argument list)')
    .example('$0 publish out/creg-0.1.0.tgz --to-dir public/charts --url https://charts.example.com', 'add to a chart repository folder served over HTTP');
}

interface Args {
  chart: string;
  to?: string;
  'to-dir'?: string;
  url?: string;
  'ca-file'?: string;
  'insecure-skip-tls-verify': boolean;
  'plain-http': boolean;
  username?: string;
  'password-stdin': boolean;
  force: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // Like `docker login --password-stdin`: one trailing newline is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function handler(argv: Args): Promise<void> {
  const { UserError } = await import('../errors.js');
  const log = (line: string) => console.log(line);
  // Take the password out of the environment before any child process starts: helm never needs it there.
  const envPassword = process.env.CREG_REGISTRY_PASSWORD;
  delete process.env.CREG_REGISTRY_PASSWORD;
  if (!argv.to && !argv['to-dir']) {
    throw new UserError('Say where to publish: --to oci://HOST[:PORT]/PATH (an OCI registry) or --to-dir DIR (a chart repository folder).', 2);
  }
  const { findHelm } = await import('../helm/helm.js');
  const helm = await findHelm();
  if (argv['to-dir']) {
    for (const flag of ['ca-file', 'username'] as const) {
      if (argv[flag] !== undefined) throw new UserError(`--${flag} applies to --to (an OCI registry), not to --to-dir.`, 2);
    }
    if (argv['password-stdin'] || argv['insecure-skip-tls-verify'] || argv['plain-http']) throw new UserError('--password-stdin, --insecure-skip-tls-verify and --plain-http apply to --to (an OCI registry), not to --to-dir.', 2);
    const { publishToDir } = await import('../publish/repo-dir.js');
    await publishToDir({ chartPath: argv.chart, dir: argv['to-dir'], url: argv.url, force: argv.force, helm, log });
    return;
  }
  if (argv.url !== undefined) throw new UserError('--url applies to --to-dir (a chart repository folder), not to --to.', 2);
  if (argv['ca-file'] !== undefined || argv['insecure-skip-tls-verify'] || argv['plain-http']) {
    // helm push and helm pull took --plain-http (beside the TLS flags) in Helm 3.13.
    const { requireHelmVersion } = await import('../helm/helm.js');
    requireHelmVersion(helm, [3, 13, 0], '--ca-file, --insecure-skip-tls-verify and --plain-http (passed to helm push and helm pull)');
  }
  let password: string | undefined;
  if (argv['password-stdin']) {
    if (envPassword !== undefined) throw new UserError('Both --password-stdin and CREG_REGISTRY_PASSWORD give a password: use one.', 2);
    password = await readStdin();
    if (password === '') throw new UserError('--password-stdin: stdin was empty. Pipe the password in, e.g. printf %s "$PASS" | creg-chart publish ... --password-stdin.', 2);
  } else if (envPassword !== undefined && argv.username) {
    if (envPassword === '') throw new UserError('CREG_REGISTRY_PASSWORD is set but empty: put the password in it, or pipe it in with --password-stdin.', 2);
    password = envPassword;
  }
  const { publishToOci } = await import('../publish/oci.js');
  await publishToOci({
    chartPath: argv.chart,
    to: argv.to!,
    caFile: argv['ca-file'],
    insecureSkipTlsVerify: argv['insecure-skip-tls-verify'],
    plainHttp: argv['plain-http'],
    username: argv.username,
    password,
    force: argv.force,
    helm,
    log,
  });
}
