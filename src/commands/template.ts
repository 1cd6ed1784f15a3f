import type { Argv } from 'yargs';
import { valuesOptions, withValuesFlags } from './values-flags.js';

export const command = 'template';
export const describe = 'Print the manifests one cluster would get: the real `helm template` of the chart with -f files, --cluster and --set';

/** This command's own flags (data: read by the builder and by src/fast-args.ts). */
export const ownOptions = {
  cluster: { type: 'string', describe: 'the cluster override file, applied after the -f files (like a last -f)' },
  chart: { type: 'string', describe: 'a chart built by `creg-chart build` (.tgz or folder); default: build one from the built-in defaults into a temporary folder' },
  'release-name': { type: 'string', default: 'creg', describe: 'release name, as in `helm install NAME`' },
  namespace: { alias: 'n', type: 'string', default: 'default', describe: 'namespace of the release' },
  'output-dir': { type: 'string', describe: 'write one file per template into this folder (helm template --output-dir) instead of printing' },
} as const;
export const options = { ...valuesOptions, ...ownOptions } as const;

export function builder(y: Argv) {
  return withValuesFlags(y)
    .options(ownOptions)
    .example('$0 template -f base.yaml --cluster clusters/a.yaml -n registry', 'what cluster a gets, from a chart built on the fly')
    .example('$0 template --chart out/creg-0.1.0.tgz -f base.yaml --cluster clusters/a.yaml', 'the same from the packaged chart');
}

interface Args {
  values: string[];
  set: string[];
  'set-string': string[];
  cluster?: string;
  chart?: string;
  'release-name': string;
  namespace: string;
  'output-dir'?: string;
}

export async function handler(argv: Args): Promise<void> {
  const { templateCluster } = await import('../build/template.js');
  const out = await templateCluster({
    valuesFiles: argv.values,
    set: argv.set,
    setString: argv['set-string'],
    cluster: argv.cluster,
    chart: argv.chart,
    releaseName: argv['release-name'],
    namespace: argv.namespace,
    outputDir: argv['output-dir'],
    // Progress goes to stderr so stdout stays the manifests (pipe it to kubectl).
    log: (line) => console.error(line),
  });
  process.stdout.write(out);
}
