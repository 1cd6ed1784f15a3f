import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as build from './commands/build.js';
import * as cert from './commands/cert.js';
import * as init from './commands/init.js';
import * as publish from './commands/publish.js';
import * as template from './commands/template.js';
import * as trust from './commands/trust.js';
import * as validate from './commands/validate.js';
import { UserError } from './errors.js';
import { packageRoot } from './paths.js';

// Command modules import their heavy parts (ajv, handlebars, node-forge)
// inside their handlers, so `--help` stays fast.
async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
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

main().catch((err: unknown) => {
  if (err instanceof UserError) {
    console.error(`Error: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err);
  console.error('This is a bug in creg-chart; please report it with the command you ran.');
  process.exit(1);
});
