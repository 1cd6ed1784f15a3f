/**
 * The CLI's entry point (bundled into dist/creg-chart.js). It loads as little
 * as each command needs:
 * - `--help`, `-h`, `<command> --help` and `--version` print the text that
 *   scripts/bundle-cli.mjs captured from the yargs CLI at compile time
 *   (dist/help.json), when it belongs to the bundle on disk;
 * - `build`, `validate` and `template` with plain flags are parsed without
 *   yargs (src/fast-args.ts) and run their command's handler;
 * - everything else goes to the yargs CLI (src/cli.ts), loaded on demand.
 * Errors are reported the same way on every path.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.js';
import { parseFast, type FlagSpecs, type ParsedArgs } from './fast-args.js';
import { packageRoot } from './paths.js';

/** Written by scripts/bundle-cli.mjs. */
export const helpFile = join(packageRoot, 'dist', 'help.json');
export const bundleFile = join(packageRoot, 'dist', 'creg-chart.js');

export interface HelpTexts {
  /** Size and mtime of the bundle the texts were captured from. */
  bundle: { size: number; mtimeMs: number };
  /** stdout of each argument vector, keyed by the arguments joined with NUL. */
  texts: Record<string, string>;
}

/** The precomputed output for `args`, or undefined (no file, another bundle, another vector). */
export function precomputedHelp(args: readonly string[]): string | undefined {
  if (args.length === 0 || args.length > 2 || !args.some((a) => a === '--help' || a === '-h' || a === '--version')) return undefined;
  let help: HelpTexts;
  try {
    help = JSON.parse(readFileSync(helpFile, 'utf8')) as HelpTexts;
    const st = statSync(bundleFile);
    if (st.size !== help.bundle.size || st.mtimeMs !== help.bundle.mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  const text = help.texts[args.join('\0')];
  return typeof text === 'string' ? text : undefined;
}

interface FastCommand {
  options: FlagSpecs;
  handler(argv: ParsedArgs): Promise<void>;
}

/** The command modules whose flags src/fast-args.ts can parse. */
const fastCommands: Record<string, () => Promise<FastCommand>> = {
  build: () => import('./commands/build.js') as unknown as Promise<FastCommand>,
  validate: () => import('./commands/validate.js') as unknown as Promise<FastCommand>,
  template: () => import('./commands/template.js') as unknown as Promise<FastCommand>,
};

export async function main(args: readonly string[]): Promise<void> {
  // CREG_CHART_NO_FAST_PATH=1: always yargs (tests compare both paths).
  const fast = !process.env.CREG_CHART_NO_FAST_PATH;
  const help = fast ? precomputedHelp(args) : undefined;
  if (help !== undefined) {
    process.stdout.write(help);
    return;
  }
  const load = fastCommands[args[0]];
  if (load && fast) {
    const mod = await load();
    const argv = parseFast(args[0], args.slice(1), mod.options);
    if (argv) {
      await mod.handler(argv);
      return;
    }
  }
  const { runCli } = await import('./cli.js');
  await runCli(args);
}

export function reportError(err: unknown): never {
  if (err instanceof UserError) {
    console.error(`Error: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err);
  console.error('This is a bug in creg-chart; please report it with the command you ran.');
  process.exit(1);
}

main(process.argv.slice(2)).catch(reportError);
