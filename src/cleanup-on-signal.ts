import { rmSync } from 'node:fs';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Removes `path` (recursively) if the process is interrupted (Ctrl-C,
 * SIGTERM, SIGHUP) before the returned function is called, then ends the
 * process with the same signal. For temporary folders holding secrets, such
 * as publish's registry config with base64 credentials.
 */
export function removeOnSignal(path: string): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    rmSync(path, { recursive: true, force: true });
    for (const s of SIGNALS) process.removeListener(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.removeListener(s, handler);
  };
}
