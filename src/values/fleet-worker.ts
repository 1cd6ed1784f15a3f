/**
 * Validates a share of a fleet of cluster files in a worker thread (see
 * checkClusters in ./clusters.ts): the same function, in parallel with the
 * main thread, answering with each file's problems.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { validateClusters } from './clusters.js';
import type { ValuesInput } from './index.js';

const { base, files } = workerData as { base: ValuesInput; files: string[] };
try {
  parentPort!.postMessage({ results: validateClusters(base, files).map((r) => ({ file: r.file, problems: r.problems })) });
} catch (err) {
  parentPort!.postMessage({ error: { message: (err as Error).message, exitCode: (err as { exitCode?: number }).exitCode, stack: (err as Error).stack } });
}
