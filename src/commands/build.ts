import type { Argv } from 'yargs';
import { valuesOptions, withValuesFlags } from './values-flags.js';

export const command = 'build';
export const describe = 'Validate values, render the chart from chart-templates/, run helm lint --strict and package the chart (.tgz, as helm package writes it) into --output-dir';

/** This command's own flags (data: read by the builder and by src/fast-args.ts). */
export const ownOptions = {
  'output-dir': { type: 'string', default: 'out', describe: 'folder for the chart folder and the .tgz' },
  'chart-name': { type: 'string', default: 'creg', describe: 'chart name (also the default object name prefix)' },
  'chart-version': { type: 'string', describe: 'chart version (semantic version; default: the creg-chart version)' },
} as const;
export const options = { ...valuesOptions, ...ownOptions } as const;

export function builder(y: Argv) {
  return withValuesFlags(y)
    .options(ownOptions)
    .example('$0 build', 'build from the built-in defaults (NAS 172.27.128.2:/nas, nodes labelled node=registry)')
    .example('$0 build -f base.yaml -f clusters/a.yaml --set registry.replicas=2', 'build with overrides');
}

interface Args {
  values: string[];
  set: string[];
  'set-string': string[];
  'output-dir': string;
  'chart-name': string;
  'chart-version'?: string;
}

export async function handler(argv: Args): Promise<void> {
  // `helm version` (a process start) overlaps with loading the pipeline's modules.
  const { findHelm } = await import('../helm/helm.js');
  const helm = findHelm();
  helm.catch(() => {}); // reported by buildChart, after the values
  const { buildChart } = await import('../build/pipeline.js');
  await buildChart({
    helm,
    valuesFiles: argv.values,
    set: argv.set,
    setString: argv['set-string'],
    outputDir: argv['output-dir'],
    chartName: argv['chart-name'],
    chartVersion: argv['chart-version'],
    log: (line) => console.log(line),
  });
}
