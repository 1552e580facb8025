import type { Migration } from 'kysely';
import * as m0001 from './0001_core.js';

/** Every migration, in order. Names are fixed forever once shipped. */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
};
