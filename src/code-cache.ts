/**
 * Runs a generated CommonJS file (the CLI bundle dist/creg-chart.cjs, the
 * values validator dist/values/schema-validator.cjs) from V8's code cache
 * beside it (`<file>.v8cache`): Node 20 has no compile cache of its own, and
 * parsing and compiling these is a large part of a command's start-up.
 * The scripts that generate the files make the caches (scripts/bundle-cli.mjs,
 * scripts/compile-schema.mjs).
 *
 * Each file's first line is `// creg-chart code <id>`, and its cache starts
 * with that id: a cache is used only with the file it was made from (V8's own
 * check is the source's length). V8 also refuses a cache made by another
 * Node.js or under other flags; the file is then compiled as usual.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const ID_LINE = /^\/\/ creg-chart code ([0-9a-f]{16,64})\n/;

/** The first line a file run by runCommonJs starts with. */
export function codeIdLine(id: string): string {
  return `// creg-chart code ${id}\n`;
}

/** The CommonJS module wrapper (its text is part of what the cache matches). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

interface Compiled {
  script: Script;
  /** The id on the file's first line (undefined without one: no cache is used or made). */
  id: string | undefined;
  /** Whether V8 took the cache (false without one). */
  fromCache: boolean;
}

/** Compiles the CommonJS file at `path`, from its cache when that fits; undefined when it cannot be read. */
function compile(path: string, useCache = true): Compiled | undefined {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const id = ID_LINE.exec(source)?.[1];
  let cachedData: Buffer | undefined;
  if (id && useCache) {
    try {
      const cache = readFileSync(`${path}.v8cache`);
      if (cache.subarray(0, id.length).toString('latin1') === id) cachedData = cache.subarray(id.length);
    } catch {
      // no cache: compile
    }
  }
  const script = new Script(wrap(source), { filename: path, cachedData });
  return { script, id, fromCache: cachedData !== undefined && !script.cachedDataRejected };
}

function run({ script }: Compiled, path: string): unknown {
  const module = { exports: {} as unknown, filename: path, id: path, loaded: false };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  module.loaded = true;
  return module.exports;
}

/** Runs the CommonJS file at `path` as require() would (from its cache when that fits) and returns its exports; undefined when it cannot be read. */
export function runCommonJs(path: string, opts: { cacheOnExit?: boolean } = {}): { exports: unknown; fromCache: boolean } | undefined {
  const compiled = compile(path, !opts.cacheOnExit);
  if (compiled && opts.cacheOnExit) {
    // After a whole command: the cache then holds every function it ran (see makeCodeCache).
    process.once('exit', (code) => {
      if (code === 0) writeCache(path, compiled);
    });
  }
  return compiled && { exports: run(compiled, path), fromCache: compiled.fromCache };
}

function writeCache(path: string, { script, id }: Compiled): void {
  if (!id) throw new Error(`${path} does not start with a creg-chart code id line`);
  writeFileSync(`${path}.v8cache`, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]));
}

/**
 * Writes `<path>.v8cache`. With `warm`, the file is run and `warm` called
 * with its exports first, so the functions it calls are compiled and cached
 * too (V8 compiles most functions on their first call); without, only what
 * compiling the file compiles (for a file whose top level must not run here).
 */
export function makeCodeCache(path: string, warm?: (exports: unknown) => void): void {
  const compiled = compile(path, false);
  if (!compiled) throw new Error(`${path} is missing`);
  if (warm) warm(run(compiled, path));
  writeCache(path, compiled);
}
