import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where provisioned binaries, local server data and logs live: outside the repository, so a fresh clone
 * (and CI on the same machine) reuses them.
 */
export function cacheDir(override?: string): string {
  if (override) return path.resolve(override);
  if (process.env.CBS_CACHE_DIR) return path.resolve(process.env.CBS_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'crm-books-sync');
}

export const cachePaths = (root: string) => ({
  bin: path.join(root, 'bin'),
  data: path.join(root, 'data'),
  logs: path.join(root, 'logs'),
  run: path.join(root, 'run'),
  stateFile: path.join(root, 'run', 'services.json'),
});
