import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);

// src/atomic-file.ts
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
function writeFileAtomic(path, data, mode = 420) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp.${process.pid}.${randomBytes(4).toString("hex")}`);
  const fd = openSync(tmp, "wx", mode);
  try {
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export {
  writeFileAtomic
};
