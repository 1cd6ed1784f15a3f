import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, ValidationError } from '../errors.js';
import { checkValues, loadValuesFile, type ValuesInput } from './index.js';

/** The cluster override files in `dir`: every `*.yaml` / `*.yml`, sorted by name. */
export function listClusterFiles(dir: string, flag = '--cluster-dir'): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${dir}: not a folder. Give the folder that holds one values file per cluster (e.g. ${flag} clusters/), or pass a single file with --cluster.`, 2);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${flag} ${dir}: cannot read the folder (${code === 'ENOENT' ? 'it does not exist' : (err as Error).message}). Check the path.`, 2);
  }
  const files = entries.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort().map((n) => join(dir, n));
  if (files.length === 0) {
    throw new UserError(`${flag} ${dir}: the folder has no *.yaml or *.yml files. Put one values file per cluster there (e.g. ${join(dir, 'cluster-a.yaml')}).`, 2);
  }
  return files;
}

export interface ClusterResult {
  file: string;
  problems: string[];
}

/**
 * Validates every cluster file merged over the shared layers: the base `-f`
 * files first, the cluster file next, `--set`/`--set-string` last (the order
 * `helm install -f base.yaml -f clusters/x.yaml --set ...` applies them).
 * Every problem of every file is collected; nothing stops at the first.
 */
export function validateClusters(base: ValuesInput, clusterFiles: string[]): ClusterResult[] {
  return clusterFiles.map(clusterChecker(base));
}

/**
 * A function that validates one cluster file (see validateClusters). The
 * shared -f files are read once, here: one that cannot be read is one error
 * naming it, not a failure reported against every cluster file; every
 * cluster file then reuses them (and the built-in defaults).
 */
function clusterChecker(base: ValuesInput): (file: string) => ClusterResult {
  const shared = new Map((base.valuesFiles ?? []).map((file) => [file, loadValuesFile(file)]));
  return (file) => {
    try {
      checkValues({ ...base, valuesFiles: [...(base.valuesFiles ?? []), file] }, shared);
      return { file, problems: [] };
    } catch (err) {
      if (err instanceof ValidationError) return { file, problems: err.problems };
      if (err instanceof UserError) return { file, problems: [err.message] };
      throw err;
    }
  };
}

/** Files a thread takes from the fleet at a time: small enough that neither thread waits long for the other's last share. */
const SHARE = 16;

/**
 * Validates shares of `clusterFiles` taken from `next` (a counter both
 * threads of checkClusters hold) until none are left, handing each share's
 * results to `done` with the index of its first file.
 */
export function validateShares(base: ValuesInput, clusterFiles: string[], next: Int32Array, done: (from: number, results: ClusterResult[]) => void): void {
  const check = clusterChecker(base);
  for (let from = Atomics.add(next, 0, SHARE); from < clusterFiles.length; from = Atomics.add(next, 0, SHARE)) {
    done(from, clusterFiles.slice(from, from + SHARE).map(check));
  }
}

/** Below this many files a worker thread costs more than it saves. */
const PARALLEL_FROM = 64;

/**
 * validateClusters for a fleet: with many files and a CPU to spare (more than
 * one CPU and a load average below their number minus one), a worker thread
 * (./fleet-worker.ts) helps this thread. Both take small shares of the files
 * from one counter until none are left, so the worker does only what it gets
 * to: starting it (a new thread loading the bundle) costs this thread nothing,
 * and a worker slowed by a busy machine cannot hold up the end by more than
 * one share. On a busy machine the extra thread only competes, so it is not
 * started. Results come back in the order of `clusterFiles`, with the same
 * problems as validateClusters gives. CREG_CHART_FLEET_WORKER=always|never
 * overrides the choice (tests run both).
 */
export async function checkClusters(base: ValuesInput, clusterFiles: string[]): Promise<ClusterResult[]> {
  const worker = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
  const choice = process.env.CREG_CHART_FLEET_WORKER;
  const spare = availableParallelism() >= 2 && loadavg()[0] < availableParallelism() - 1;
  const parallel = choice === 'always' || (choice !== 'never' && spare && clusterFiles.length >= PARALLEL_FROM);
  if (!parallel || !existsSync(worker)) return validateClusters(base, clusterFiles);
  const next = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const results: ClusterResult[] = new Array(clusterFiles.length);
  let missing = clusterFiles.length;
  const store = (from: number, share: ClusterResult[]): void => {
    share.forEach((r, i) => { results[from + i] = r; });
    missing -= share.length;
  };
  const { Worker } = await import('node:worker_threads');
  const thread = new Worker(worker, { workerData: { base, files: clusterFiles, next } });
  // Settles once the worker has answered for every share it took (at the latest when it exits).
  const workerDone = new Promise<void>((resolve, reject) => {
    thread.on('message', (m: { from?: number; results?: ClusterResult[]; error?: { message: string; exitCode?: number; stack?: string } }) => {
      if (m.results) store(m.from!, m.results);
      else if (m.error?.exitCode !== undefined) reject(new UserError(m.error.message, m.error.exitCode));
      else reject(new Error(`fleet worker: ${m.error?.stack ?? m.error?.message}`));
      if (missing === 0) resolve();
    });
    thread.once('error', reject);
    thread.once('exit', (code) => (missing === 0 ? resolve() : reject(new Error(`fleet worker exited (${code}) without an answer`))));
  });
  workerDone.catch(() => {}); // awaited below, after this thread's shares
  try {
    validateShares(base, clusterFiles, next, store);
    if (missing > 0) await workerDone;
    return results;
  } finally {
    void thread.terminate();
  }
}
