import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { VinculoError } from '../errors.js';

/**
 * PGlite is single-process: two processes opening one data folder would corrupt it. A lock file
 * holding the owner's pid makes the second one stop with a clear message instead; a lock left by
 * a dead process is taken over.
 */
const heldHere = new Set<string>();

export function lockDataDir(dir: string, owner: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'vinculo.lock');
  // A lock file with our own pid is stale (a reused pid) unless this process really holds it.
  if (heldHere.has(path)) {
    throw new VinculoError('store_in_use', `The embedded store in ${dir} is already open in this process`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, owner }));
      closeSync(fd);
      heldHere.add(path);
      return () => {
        heldHere.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new VinculoError(
          'store_in_use',
          `The embedded store in ${dir} is in use by another process (pid ${holder.pid}, ${holder.owner}). ` +
            'Stop it first, or use PostgreSQL (DATABASE_URL) to share the store between processes.',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new VinculoError('store_in_use', `Could not lock the embedded store in ${dir}`);
}

function readHolder(path: string): { pid: number; owner: string } | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
