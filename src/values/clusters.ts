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
  // The shared -f files are read once up front: one that cannot be read is
  // one error naming it, not a failure reported against every cluster file;
  // every cluster file then reuses them (and the built-in defaults).
  const shared = new Map((base.valuesFiles ?? []).map((file) => [file, loadValuesFile(file)]));
  return clusterFiles.map((file) => {
    try {
      checkValues({ ...base, valuesFiles: [...(base.valuesFiles ?? []), file] }, shared);
      return { file, problems: [] };
    } catch (err) {
      if (err instanceof ValidationError) return { file, problems: err.problems };
      if (err instanceof UserError) return { file, problems: [err.message] };
      throw err;
    }
  });
}


/** Below this many files a worker thread costs more than it saves. */
const PARALLEL_FROM = 64;

/**
 * validateClusters for a fleet: with many files and a CPU to spare (more than
 * one CPU and a load average below their number minus one), the second half
 * goes to a worker thread (./fleet-worker.ts) while this thread checks the
 * first; on a busy machine the extra thread only competes, so it is not used.
 * Results come back in the order of `clusterFiles`, with the same problems as
 * validateClusters gives. CREG_CHART_FLEET_WORKER=always|never overrides the
 * choice (tests run both).
 */
export async function checkClusters(base: ValuesInput, clusterFiles: string[]): Promise<{ file: string; problems: string[] }[]> {
  const worker = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));
  const choice = process.env.CREG_CHART_FLEET_WORKER;
  const spare = availableParallelism() >= 2 && loadavg()[0] < availableParallelism() - 1;
  const parallel = choice === 'always' || (choice !== 'never' && spare && clusterFiles.length >= PARALLEL_FROM);
  if (!parallel || !existsSync(worker)) return validateClusters(base, clusterFiles);
  const half = Math.ceil(clusterFiles.length / 2);
  const { Worker } = await import('node:worker_threads');
  const thread = new Worker(worker, { workerData: { base, files: clusterFiles.slice(half) } });
  const second = new Promise<{ file: string; problems: string[] }[]>((resolve, reject) => {
    thread.once('message', (m: { results?: { file: string; problems: string[] }[]; error?: { message: string; exitCode?: number; stack?: string } }) => {
      if (m.results) resolve(m.results);
      else if (m.error?.exitCode !== undefined) reject(new UserError(m.error.message, m.error.exitCode));
      else reject(new Error(`fleet worker: ${m.error?.stack ?? m.error?.message}`));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`fleet worker exited (${code}) without an answer`)));
  });
  second.catch(() => {}); // awaited below, after this thread's half
  try {
    const first = validateClusters(base, clusterFiles.slice(0, half));
    return [...first, ...(await second)];
  } finally {
    void thread.terminate();
  }
}
