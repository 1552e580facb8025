#!/usr/bin/env node
// `npm run build`, also run by `npm install` / `npm ci` (the `prepare` script): what `npm start` runs.
//  1. src/**/*.ts (not the tests, not the widget's browser sources) → dist/**/*.js, one file each:
//     esbuild only strips the types (`npm run typecheck` checks them). The layout mirrors src/, so
//     `new URL('../../', import.meta.url)` is the repository's root from both.
//  2. The Connect widget's assets (dist/widget-<hash>/), built now rather than at the first start.
//  3. A migrated, empty embedded database (dist/store-template/, src/store/template.ts): a new data
//     dir starts as a copy of it instead of running initdb and every migration at the first start.
// Tests and the tsx scripts keep running the TypeScript in src/.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const started = performance.now();
const ms = () => `${Math.round(performance.now() - started)} ms`;

function sources(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    // widget/ui/ is the browser's: the widget build bundles it (the server imports none of it).
    if (statSync(path).isDirectory()) {
      if (relative(SRC, path) !== join('widget', 'ui')) sources(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

// Modules compiled from sources since deleted must not linger: clear the compiled tree, keeping
// the widget builds (dist/widget-<hash>/, which src/widget/build.ts manages itself).
mkdirSync(DIST, { recursive: true });
for (const entry of readdirSync(DIST)) {
  if (!/^\.?widget-/.test(entry)) rmSync(join(DIST, entry), { recursive: true, force: true });
}

const entryPoints = sources(SRC);
await build({
  entryPoints,
  outdir: DIST,
  outbase: SRC,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
});
console.log(`compiled ${entryPoints.length} modules into dist/ (${ms()})`);

// What bin/launch.js runs: each entry bundled with its dependencies into one file, because loading
// ~1,000 separate modules (fastify, pino, pg-boss, ajv… as installed) took 0.7 s of a 2 s start and
// 20 MB more memory than one file (0.28 s). PGlite stays outside: it finds its wasm and data files
// next to its own module. The bundles sit two folders down (dist/bundle/), as every source does under
// src/, so the `new URL('../../', import.meta.url)` that finds the repository works from both.
// CommonJS dependencies call `require`: an ES module has none, so the banner makes one.
// splitting: what is loaded only on demand (the sandbox OFB bank: oidc-provider, koa, the mock) goes
// to chunks of its own instead of into main.js (+3.6 MB parsed at every start, +14 MB resident);
// code both entries share becomes chunks too.
await build({
  entryPoints: { main: join(SRC, 'main.ts'), cli: join(SRC, 'cli.ts') },
  outdir: join(DIST, 'bundle'),
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  external: ['@electric-sql/pglite', 'pg-native'],
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __vinculoRequire } from 'node:module'; const require = __vinculoRequire(import.meta.url);" },
});
console.log(`bundled main and cli into dist/bundle/ (${ms()})`);

// The OFB OpenAPI documents the connector validates bank answers with (src/connectors/ofb/spec/
// validate.ts reads them next to itself): beside the per-file copy and beside the bundles.
const OFB_SPEC = join(SRC, 'connectors', 'ofb', 'spec');
for (const dir of [join(DIST, 'connectors', 'ofb', 'spec'), join(DIST, 'bundle')]) {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(OFB_SPEC).filter((n) => n.endsWith('.yml'))) copyFileSync(join(OFB_SPEC, name), join(dir, name));
}

const { buildWidget } = await import(pathToFileURL(join(DIST, 'widget', 'build.js')).href);
const widget = await buildWidget();
console.log(`widget built: ${relative(ROOT, widget.dir)} (${ms()})`);

const dist = (path) => import(pathToFileURL(join(DIST, path)).href);
const { openStore, migrate } = await dist('store/db.js');
const { TEMPLATE_DIR, writeTemplateManifest } = await dist('store/template.js');
const work = join(DIST, '.store-template-build');
rmSync(work, { recursive: true, force: true });
const store = await openStore({ kind: 'embedded', dataDir: work, owner: 'npm run build' });
try {
  await migrate(store.db);
} finally {
  await store.close();
}
renameSync(join(work, 'pgdata'), TEMPLATE_DIR);
rmSync(work, { recursive: true, force: true });
writeTemplateManifest();
console.log(`embedded store template written: dist/store-template/ (${ms()})`);

for (const name of ['main', 'cli']) if (!existsSync(join(DIST, 'bundle', `${name}.js`))) throw new Error(`dist/bundle/${name}.js is missing`);

// Last: bin/launch.js runs dist/ only when this stamp is newer than every source.
writeFileSync(join(DIST, 'BUILT'), `${new Date().toISOString()}\n`);
