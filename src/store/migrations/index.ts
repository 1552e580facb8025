import type { Migration } from 'kysely';
import * as m0001 from './0001_core.js';
import * as m0002 from './0002_link_data.js';

/** Every migration, in order. Names are fixed forever once shipped. */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_link_data': m0002,
};
