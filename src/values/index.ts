import { ValidationError, UserError } from '../errors.js';
import { builtInDefaults } from './defaults.js';
import { mergeValues, mergeValuesToRead } from './merge.js';
import { parseSetArgument } from './set.js';
import { loadValuesFile, type Values, type ValuesSource } from './sources.js';
import { mirrorProblems } from './mirror-rules.js';
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
 * every file before failing. `loaded` holds files already read (a fleet of
 * cluster files shares its -f files; layers are never changed in place).
 */
export function resolveValues(input: ValuesInput, loaded?: ReadonlyMap<string, ValuesSource>): ResolvedValues {
  const resolved = mergeValuesInput(input, loaded);
  validateMerged(resolved);
  return resolved;
}

/**
 * The first half of resolveValues: reads and merges the layers (failing only
 * when a layer cannot be read or parsed), without validating. `build` writes
 * the merged values for helm lint with this and validates them (validateMerged)
 * while helm runs; nothing it writes before that passes is kept.
 */
export function mergeValuesInput(input: ValuesInput, loaded?: ReadonlyMap<string, ValuesSource>): ResolvedValues {
  const sources = loadSources(input, loaded);
  return { values: mergeValues(sources), sources };
}

/**
 * resolveValues for a caller that needs only the verdict (each file of a
 * fleet): the same checks and the same errors, but the merged values share
 * the layers' objects (mergeValuesToRead) and are dropped.
 */
export function checkValues(input: ValuesInput, loaded?: ReadonlyMap<string, ValuesSource>): void {
  const sources = loadSources(input, loaded);
  validateMerged({ values: mergeValuesToRead(sources), sources });
}

/** The layers in order: the defaults, the `-f` files, the `--set` arguments; every file that cannot be read is one problem. */
function loadSources(input: ValuesInput, loaded?: ReadonlyMap<string, ValuesSource>): ValuesSource[] {
  const sources: ValuesSource[] = [input.defaultsFile ? loadValuesFile(input.defaultsFile, input.defaultsLabel ?? input.defaultsFile) : builtInDefaults()];
  const loadProblems: string[] = [];
  for (const file of input.valuesFiles ?? []) {
    try {
      sources.push(loaded?.get(file) ?? loadValuesFile(file));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      loadProblems.push(err.message);
    }
  }
  for (const arg of input.set ?? []) sources.push(parseSetArgument(arg, '--set'));
  for (const arg of input.setString ?? []) sources.push(parseSetArgument(arg, '--set-string'));
  if (loadProblems.length > 0) throw new ValidationError(loadProblems, 'Cannot read the values:');
  return sources;
}

/** The second half of resolveValues: the schema, then the rules across fields once the schema holds; throws ValidationError. */
export function validateMerged({ values, sources }: ResolvedValues): void {
  const schemaProblems = validateValues(values, sources);
  const problems = schemaProblems.length > 0 ? schemaProblems : mirrorProblems(values, sources);
  if (problems.length > 0) throw new ValidationError(inLayerOrder(problems, sources));
}

/** Problems sorted by the layer that gave the bad value (defaults, files, --set), then by line. */
function inLayerOrder(problems: string[], sources: ValuesSource[]): string[] {
  const key = (p: string): [number, number] => {
    for (let i = sources.length - 1; i >= 0; i--) {
      const label = sources[i].label;
      if (p.startsWith(`${label}:`)) return [i, Number(/^:(\d+)/.exec(p.slice(label.length))?.[1] ?? 0)];
    }
    return [sources.length, 0];
  };
  return problems
    .map((p, i) => ({ p, i, k: key(p) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    .map((x) => x.p);
}

export { loadValuesFile, mergeValues, parseSetArgument, validateValues };
export type { Values, ValuesSource };
