import type { Argv } from 'yargs';
import { withValuesFlags } from './values-flags.js';

export const command = 'validate';
export const describe = 'Check values files and --set against the values schema (nothing is written)';

export function builder(y: Argv) {
  return withValuesFlags(y).example('$0 validate -f values.yaml', 'check one file merged over the defaults');
}

interface Args {
  values: string[];
  set: string[];
  'set-string': string[];
}

export async function handler(argv: Args): Promise<void> {
  const { resolveValues } = await import('../values/index.js');
  resolveValues({ valuesFiles: argv.values, set: argv.set, setString: argv['set-string'] });
  const layers = ['built-in defaults', ...argv.values, ...argv.set.map((s) => `--set ${s}`), ...argv['set-string'].map((s) => `--set-string ${s}`)];
  console.log(`Values are valid: ${layers.join(', ')}`);
}
