import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import * as build from './commands/build.js';
import * as cert from './commands/cert.js';
import * as init from './commands/init.js';
import * as publish from './commands/publish.js';
import * as template from './commands/template.js';
import * as trust from './commands/trust.js';
import * as validate from './commands/validate.js';
import { packageRoot } from './paths.js';

/**
 * The full yargs CLI: every command, flag check, usage error and help text.
 * src/main.ts (the entry point) comes here for whatever it does not handle
 * itself, and reports the errors. Command modules import their heavy parts
 * (ajv, handlebars, node-forge) inside their handlers.
 */
export async function runCli(args: readonly string[]): Promise<void> {
  await yargs([...args])
    .scriptName('creg-chart')
    .usage('$0 <command> [flags]\n\nBuilds a Helm chart that runs a private container registry on an NFS export inside Kubernetes, with a TLS certificate signed for its ClusterIP.')
    .command(build as never)
    .command(validate as never)
    .command(init as never)
    .command(cert as never)
    .command(template as never)
    .command(publish as never)
    .command(trust as never)
    .demandCommand(1, 'Name a command: build, validate, template, publish, trust, init or cert (see --help).')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version((JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version)
    .wrap(null)
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`Error: ${msg}\nRun \`creg-chart --help\` for usage.`);
      process.exit(2);
    })
    .parseAsync();
}
