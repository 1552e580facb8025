import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the widget's front end (src/widget/ui/) with esbuild into `dist/widget-<hash>/`: the
 * page, its script and stylesheet, and Belvo's embed script. The folder is named by a hash of
 * every source file (and the versions of what is bundled), so a build is never stale, two
 * processes building at once cannot corrupt each other (each renames a finished folder into
 * place), and "is it built?" is one `stat`. `npm run build` runs it; the server calls
 * `ensureWidgetBuild()` when it starts, so `npm start` and `npm test` build on demand.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_DIR = join(ROOT, 'src/widget/ui');
/** Modules outside ui/ that the page bundles too (shared with the server). */
const SHARED = [join(ROOT, 'src/widget/callback-url.ts'), join(ROOT, 'src/documents/cpf.ts')];
const DIST = join(ROOT, 'dist');

export interface WidgetBuild {
  dir: string;
  /** The source hash, also used to bust caches (`?v=`). */
  version: string;
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else if (!name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/** Hash of the sources and of the bundler and bundled packages' versions. */
export function sourceVersion(): string {
  const hash = createHash('sha256');
  for (const path of [...files(UI_DIR), ...SHARED]) hash.update(relative(UI_DIR, path)).update('\0').update(readFileSync(path)).update('\0');
  hash.update(`esbuild@${packageVersion('esbuild')} lean-qr@${packageVersion('lean-qr')}`);
  return hash.digest('hex').slice(0, 16);
}

/** Builds (when not built yet) and returns the build for the current sources. */
export async function buildWidget(options: { force?: boolean } = {}): Promise<WidgetBuild> {
  const version = sourceVersion();
  const dir = join(DIST, `widget-${version}`);
  if (!options.force && isBuilt(dir)) return { dir, version };

  const { build } = await import('esbuild');
  mkdirSync(DIST, { recursive: true });
  const tmp = join(DIST, `.widget-${version}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await build({
      entryPoints: [
        { in: join(UI_DIR, 'main.ts'), out: 'widget' },
        { in: join(UI_DIR, 'embed.ts'), out: 'belvo-widget-1-stable' },
        { in: join(UI_DIR, 'styles.css'), out: 'widget' },
      ],
      outdir: tmp,
      bundle: true,
      format: 'iife',
      minify: true,
      sourcemap: false,
      target: ['chrome100', 'firefox100', 'safari15'],
      legalComments: 'none',
      logLevel: 'silent',
    });
    const html = readFileSync(join(UI_DIR, 'index.html'), 'utf8').replaceAll('%VERSION%', version);
    writeFileSync(join(tmp, 'index.html'), html);
    writeFileSync(join(tmp, 'BUILT'), `${version}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: theirs is identical.
      if (!isBuilt(dir)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  removeOldBuilds(version);
  return { dir, version };
}

function isBuilt(dir: string): boolean {
  try {
    return statSync(join(dir, 'BUILT')).isFile();
  } catch {
    return false;
  }
}

/** Best effort: builds of older sources are of no use (a running server has its files in memory). */
function removeOldBuilds(current: string): void {
  try {
    for (const name of readdirSync(DIST)) {
      if (/^widget-[0-9a-f]{16}$/.test(name) && name !== `widget-${current}`) rmSync(join(DIST, name), { recursive: true, force: true });
    }
  } catch {
    /* ignore */
  }
}

let once: Promise<WidgetBuild> | null = null;

/** The current build, building it first if needed; once per process. */
export function ensureWidgetBuild(): Promise<WidgetBuild> {
  once ??= buildWidget().catch((err) => {
    once = null;
    throw err;
  });
  return once;
}
