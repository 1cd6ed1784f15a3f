import type { Argv } from 'yargs';
import { valuesOptions, withValuesFlags } from './values-flags.js';

export const command = 'validate';
export const describe = 'Check values files and --set against the values schema, for one cluster or for every cluster file in a folder (nothing is written)';

/** This command's own flags (data: read by the builder and by src/fast-args.ts). */
export const ownOptions = {
  cluster: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'a cluster override file, merged after the -f files and checked on its own (repeatable)',
  },
  'cluster-dir': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'a folder of cluster override files: each *.yaml/*.yml is merged after the -f files and checked on its own (repeatable)',
  },
} as const;
export const options = { ...valuesOptions, ...ownOptions } as const;

export function builder(y: Argv) {
  return withValuesFlags(y)
    .options(ownOptions)
    .example('$0 validate -f values.yaml', 'check one file merged over the defaults')
    .example('$0 validate -f base.yaml --cluster-dir clusters/', 'check every cluster file in clusters/ merged over base.yaml');
}

interface Args {
  values: string[];
  set: string[];
  'set-string': string[];
  cluster: string[];
  'cluster-dir': string[];
}

export async function handler(argv: Args): Promise<void> {
  const base = { valuesFiles: argv.values, set: argv.set, setString: argv['set-string'] };
  if (argv.cluster.length === 0 && argv['cluster-dir'].length === 0) {
    const { resolveValues } = await import('../values/index.js');
    resolveValues(base);
    const layers = ['built-in defaults', ...argv.values, ...argv.set.map((s) => `--set ${s}`), ...argv['set-string'].map((s) => `--set-string ${s}`)];
    console.log(`Values are valid: ${layers.join(', ')}`);
    return;
  }
  const { listClusterFiles, checkClusters } = await import('../values/clusters.js');
  const { UserError } = await import('../errors.js');
  const files = [...argv.cluster, ...argv['cluster-dir'].flatMap((d) => listClusterFiles(d))];
  const shared = ['built-in defaults', ...argv.values].join(' + ');
  console.log(`Checking ${files.length} cluster file(s), each merged over ${shared}${argv.set.length + argv['set-string'].length ? ' and followed by the --set flags' : ''}:`);
  const results = await checkClusters(base, files);
  // One write for the whole report (a fleet is a thousand lines).
  const lines: string[] = [];
  for (const r of results) {
    if (r.problems.length === 0) {
      lines.push(`  ok    ${r.file}`);
    } else {
      lines.push(`  FAIL  ${r.file}: ${r.problems.length} problem(s)`);
      for (const p of r.problems) lines.push(`          - ${p.replace(/\n/g, '\n            ')}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const bad = results.filter((r) => r.problems.length > 0);
  if (bad.length > 0) {
    throw new UserError(`${bad.length} of ${results.length} cluster file(s) are not valid: ${bad.map((r) => r.file).join(', ')}. Fix the fields listed above and run the same command again.`);
  }
  console.log(`All ${results.length} cluster file(s) are valid.`);
}
