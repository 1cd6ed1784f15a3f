import type { Argv } from 'yargs';

export const command = 'init [file]';
export const describe = 'Write a commented starter values file (the built-in defaults) to edit for your cluster';

export function builder(y: Argv) {
  return y
    .positional('file', { type: 'string', default: 'values.yaml', describe: 'where to write it' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing file' });
}

export async function handler(argv: { file: string; force: boolean }): Promise<void> {
  const { copyFileSync, constants } = await import('node:fs');
  const { defaultsPath } = await import('../paths.js');
  const { UserError } = await import('../errors.js');
  try {
    copyFileSync(defaultsPath, argv.file, argv.force ? 0 : constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError(`${argv.file} already exists; nothing was written. Choose another file name or pass --force to overwrite it.`);
    }
    throw new UserError(`cannot write ${argv.file}: ${(err as Error).message}.`);
  }
  console.log(`Wrote ${argv.file}. Choose storage.kind (nasMount, nfsVolume, pvc or s3; the file explains each) and edit nas.server, nas.path and nodeLabel (or storage.pvc / storage.s3) for your cluster, then run: creg-chart build -f ${argv.file}`);
}
