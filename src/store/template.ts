import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrations } from './migrations/index.js';

/**
 * A migrated, empty embedded database, made by `npm run build` (which `npm install` runs): a new
 * data dir is a copy of it (a few ms of file copying, no memory in this process) instead of
 * PGlite's initdb and every migration (~10 s and ~900 MB on a 2-core machine). It is only a head start: the migrator still runs after
 * opening, so a template older than the code just gets the newer migrations. A template that knows
 * a migration the code does not (built on another branch), or made by another PGlite, is not used.
 */

const ROOT = new URL('../../', import.meta.url);
/** A PGlite data directory (what `<data dir>/pgdata` holds), closed cleanly. */
export const TEMPLATE_DIR = fileURLToPath(new URL('dist/store-template', ROOT));
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

/** The template's directory, or null when there is none this code can use. */
export function storeTemplate(files = { dir: TEMPLATE_DIR, manifest: MANIFEST_FILE }): string | null {
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
    manifest.migrations.every((name, i) => name === known[i]) &&
    existsSync(`${files.dir}/PG_VERSION`);
  return usable ? files.dir : null;
}

/**
 * Creates `pgdata` as a copy of the template; false when there is no usable one. The copy is made
 * next to it and renamed into place, so a start cut short leaves no half database behind.
 */
export function copyStoreTemplate(pgdata: string): boolean {
  const template = storeTemplate();
  if (!template) return false;
  const tmp = `${pgdata}.copying`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(template, tmp, { recursive: true });
  rmSync(pgdata, { recursive: true, force: true }); // no PG_VERSION there: no database
  renameSync(tmp, pgdata);
  return true;
}

/** Records that `TEMPLATE_DIR` (just made by the build: migrated, closed) is for this code and this PGlite. */
export function writeTemplateManifest(): void {
  const manifest: Manifest = { pglite: pgliteVersion(), migrations: Object.keys(migrations) };
  writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
}
