/**
 * The CLI's entry point (bundled into dist/creg-chart.js; bin/creg-chart.js
 * prints the precomputed help itself and comes here for everything else).
 * It loads as little as each command needs:
 * - `build`, `validate` and `template` with plain flags are parsed without
 *   yargs (src/fast-args.ts) and run their command's handler;
 * - everything else goes to the yargs CLI (src/cli.ts), loaded on demand.
 * Errors are reported the same way on both paths. CREG_CHART_NO_FAST_PATH=1
 * always takes yargs (tests compare both).
 */
import { UserError } from './errors.js';
import { parseFast, type FlagSpecs, type ParsedArgs } from './fast-args.js';

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
  const fast = !process.env.CREG_CHART_NO_FAST_PATH;
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
