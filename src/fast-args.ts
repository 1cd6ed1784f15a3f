/**
 * Parses the argument vectors of `build`, `validate` and `template` that need
 * nothing of yargs: the command name, then only known flags, each
 * `--name value`, `--name=value` or `-x value`. Anything else (help, version,
 * an unknown or repeated single flag, a positional, a value that starts with
 * `-`, `--`, camelCase spellings, combined short flags) returns undefined and
 * the full yargs CLI (src/cli.ts) parses it, with its messages and exit codes.
 * Loading yargs is a third of a command's start-up; test/fast-args.test.mjs
 * checks that this parser gives what yargs gives for every vector it accepts.
 */

export interface FlagSpec {
  type: 'string';
  array?: boolean;
  alias?: string;
  default?: unknown;
}

export type FlagSpecs = Readonly<Record<string, Readonly<FlagSpec> | Readonly<{ type: string; array?: boolean; alias?: string; default?: unknown }>>>;

/** The arguments object a yargs handler receives, for the keys the handlers read. */
export type ParsedArgs = Record<string, unknown>;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseFast(command: string, args: readonly string[], specs: FlagSpecs): ParsedArgs | undefined {
  const byName = new Map<string, [string, FlagSpecs[string]]>();
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type !== 'string') return undefined;
    byName.set(`--${name}`, [name, spec]);
    if (spec.alias) byName.set(`-${spec.alias}`, [name, spec]);
  }
  const given = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    let flag = token;
    let value: string | undefined;
    const eq = token.indexOf('=');
    if (token.startsWith('--') && eq > 2) {
      flag = token.slice(0, eq);
      value = token.slice(eq + 1);
    }
    const found = byName.get(flag);
    // `-f=x` and `-fx` are yargs' business; so is everything unknown.
    if (!found || (value !== undefined && !flag.startsWith('--'))) return undefined;
    if (value === undefined) {
      value = args[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
    }
    if (value === '') return undefined;
    const [name, spec] = found;
    const list = given.get(name) ?? [];
    if (list.length > 0 && !spec.array) return undefined;
    list.push(value);
    given.set(name, list);
  }
  const argv: ParsedArgs = { _: [command], $0: 'creg-chart' };
  for (const [name, spec] of Object.entries(specs)) {
    const list = given.get(name);
    const value = list ? (spec.array ? list : list[0]) : spec.default;
    if (value === undefined) continue;
    const keys = [name, camel(name), ...(spec.alias ? [spec.alias] : [])];
    for (const key of new Set(keys)) argv[key] = Array.isArray(value) ? [...value] : value;
  }
  return argv;
}
