import type { Argv } from 'yargs';

/**
 * The values flags every command shares, named as Helm names them. Plain data,
 * so that the yargs builders and the no-yargs fast path (src/fast-args.ts)
 * read the same definitions.
 */
export const valuesOptions = {
  values: {
    alias: 'f',
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'values file to merge over the built-in defaults (repeatable; later files win)',
  },
  set: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'set values on the command line, Helm syntax (repeatable): --set registry.port=5001,nas.server=10.0.0.2',
  },
  'set-string': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'like --set, but every value stays a string',
  },
} as const;

export function withValuesFlags<T>(y: Argv<T>) {
  return y.options(valuesOptions);
}
