import type { Argv } from 'yargs';
export const command = 'publish <chart>';
export const describe = 'Publish a packaged chart';
export function builder(y: Argv) { return y; }
export async function handler(): Promise<void> {}
