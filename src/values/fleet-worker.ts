/**
 * Validates shares of a fleet of cluster files in a worker thread (see
 * checkClusters in ./clusters.ts): the same function as the main thread,
 * taking shares from the same counter, answering with each share's results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { validateShares } from './clusters.js';
import type { ValuesInput } from './index.js';

const { base, files, next } = workerData as { base: ValuesInput; files: string[]; next: Int32Array };
try {
  validateShares(base, files, next, (from, results) => parentPort!.postMessage({ from, results }));
} catch (err) {
  parentPort!.postMessage({ error: { message: (err as Error).message, exitCode: (err as { exitCode?: number }).exitCode, stack: (err as Error).stack } });
}
