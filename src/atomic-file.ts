import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` atomically: a hidden temporary file in the same
 * directory (`.<name>.tmp.<pid>.<random>`, created with `mode`, fsynced) is
 * renamed over the target, so readers see the old file or the new one, never
 * half of one. The directory is created if needed. The temporary name matches
 * what node-trust.sh cleans up (`.<name>.tmp.*`). Used for keys and
 * certificates (src/pki) and for trust files (src/trust).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      // On the descriptor, not the path: the umask may have cleared bits of
      // `mode`, and a path can be swapped for a symlink between open and chmod.
      fchmodSync(fd, mode);
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
