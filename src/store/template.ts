import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { migrations } from './migrations/index.js';

/**
 * A migrated, empty embedded database, made by `npm run build` (which `npm install` runs): a new
 * data dir is unpacked from it (~0.3 s) instead of running PGlite's initdb and every migration
 * (~10 s and ~900 MB on a 2-core machine). It is only a head start: the migrator still runs after
 * opening, so a template older than the code just gets the newer migrations. A template that knows
 * a migration the code does not (built on another branch), or made by another PGlite, is not used.
 */

const ROOT = new URL('../../', import.meta.url);
export const TEMPLATE_FILE = fileURLToPath(new URL('dist/store-template.tar.gz', ROOT));
const MANIFEST_FILE = fileURLToPath(new URL('dist/store-template.json', ROOT));

interface Manifest {
  pglite: string;
  migrations: string[];
}

function pgliteVersion(): string {
  try {
    const pkg = new URL('node_modules/@electric-sql/pglite/package.json', ROOT);
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The template as PGlite's `loadDataDir`, or null when there is none this code can use. */
export function storeTemplate(files = { template: TEMPLATE_FILE, manifest: MANIFEST_FILE }): Blob | null {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as Manifest;
  } catch {
    return null;
  }
  const known = Object.keys(migrations);
  const usable =
    manifest.pglite === pgliteVersion() &&
    manifest.migrations.length <= known.length &&
    manifest.migrations.every((name, i) => name === known[i]);
  if (!usable) return null;
  try {
    return new Blob([readFileSync(files.template)]);
  } catch {
    return null;
  }
}

/** Writes the template of `pglite` (an open, fully migrated, empty store) and its manifest. */
export async function writeStoreTemplate(pglite: PGlite): Promise<void> {
  const dump = await pglite.dumpDataDir('gzip');
  writeFileSync(TEMPLATE_FILE, Buffer.from(await dump.arrayBuffer()));
  const manifest: Manifest = { pglite: pgliteVersion(), migrations: Object.keys(migrations) };
  writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
}
