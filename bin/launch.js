// What `npm start` (bin/start.js) and the `vinculo` command (bin/vinculo.js) run: the compiled,
// bundled JavaScript in dist/bundle/ (`npm run build`, which `npm install` runs through `prepare`), or the
// TypeScript in src/ through tsx when there is no build or a source changed since it was made
// (a checkout, an edit): never a stale build. The check stats src/ (a few ms); the build writes
// dist/BUILT last, so a build cut short counts as none.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function newestSource(dir) {
  let newest = statSync(dir).mtimeMs; // a deleted or renamed file changes its folder
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/ was built after the last change under src/. */
export function buildIsCurrent() {
  try {
    return statSync(join(ROOT, 'dist', 'BUILT')).mtimeMs >= newestSource(join(ROOT, 'src'));
  } catch {
    return false;
  }
}

/** Runs `src/<name>.ts`, compiled when the build is current; `say` hears why not. */
export async function launch(name, say = () => {}) {
  if (process.env.VINCULO_FROM_SOURCE !== '1') {
    if (buildIsCurrent()) {
      await import(pathToFileURL(join(ROOT, 'dist', 'bundle', `${name}.js`)).href);
      return;
    }
    say('src/ changed since the last build (or there is none): running the TypeScript through tsx, which starts slower; `npm run build` compiles it');
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(ROOT, 'src', `${name}.ts`)).href);
}
