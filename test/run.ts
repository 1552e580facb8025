/**
 * The one test entry (`npm test`): finds every `*.test.ts` under src/ and test/ and runs them in
 * this process under node:test, so the whole suite shares one warm PGlite template and Node's own
 * summary ends the output. Which stores the HTTP suites run on is decided in test/helpers/stores.ts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function find(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [...find(join(root, 'src')), ...find(join(root, 'test'))].filter(
  (f) => only.length === 0 || only.some((o) => relative(root, f).includes(o)),
);
for (const file of files) await import(pathToFileURL(file).href);
