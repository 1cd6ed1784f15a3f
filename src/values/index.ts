import { ValidationError, UserError } from '../errors.js';
import { defaultsPath } from '../paths.js';
import { mergeValues } from './merge.js';
import { parseSetArgument } from './set.js';
import { loadValuesFile, type Values, type ValuesSource } from './sources.js';
import { validateValues } from './validate.js';

export interface ValuesInput {
  /** `-f/--values` files, in order (later wins). */
  valuesFiles?: string[];
  /** `--set` arguments, applied after the files. */
  set?: string[];
  /** `--set-string` arguments, applied last. */
  setString?: string[];
  /** The chart's defaults to merge over (default: the built-in defaults, schemas/values.defaults.yaml). */
  defaultsFile?: string;
  /** How messages name `defaultsFile`. */
  defaultsLabel?: string;
}

export interface ResolvedValues {
  values: Values;
  sources: ValuesSource[];
}

/**
 * Loads the built-in defaults, the user's files and `--set` layers, merges
 * them with Helm's rules and validates the result. Collects every problem of
 * every file before failing.
 */
export function resolveValues(input: ValuesInput): ResolvedValues {
  const sources: ValuesSource[] = [loadValuesFile(input.defaultsFile ?? defaultsPath, input.defaultsFile ? (input.defaultsLabel ?? input.defaultsFile) : 'built-in defaults')];
  const loadProblems: string[] = [];
  for (const file of input.valuesFiles ?? []) {
    try {
      sources.push(loadValuesFile(file));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      loadProblems.push(err.message);
    }
  }
  for (const arg of input.set ?? []) sources.push(parseSetArgument(arg, '--set'));
  for (const arg of input.setString ?? []) sources.push(parseSetArgument(arg, '--set-string'));
  if (loadProblems.length > 0) throw new ValidationError(loadProblems, 'Cannot read the values:');
  const values = mergeValues(sources);
  const problems = validateValues(values, sources);
  if (problems.length > 0) throw new ValidationError(problems);
  return { values, sources };
}

export { loadValuesFile, mergeValues, parseSetArgument, validateValues };
export type { Values, ValuesSource };
