import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrations } from './migrations/index.js';
import { storeTemplate } from './template.js';

describe('embedded store template (npm run build)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vinculo-template-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = { dir: join(dir, 'pgdata'), manifest: join(dir, 't.json') };
  mkdirSync(files.dir);
  writeFileSync(join(files.dir, 'PG_VERSION'), '17\n');
  const pglite = (JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const manifest = (m: object) => writeFileSync(files.manifest, JSON.stringify({ pglite, migrations: Object.keys(migrations), ...m }));

  it('is used when its migrations are the code\'s, or the first of them (the migrator adds the rest)', () => {
    manifest({});
    assert.equal(storeTemplate(files), files.dir);
    manifest({ migrations: Object.keys(migrations).slice(0, 2) });
    assert.equal(storeTemplate(files), files.dir);
  });

  it('is not used when it has a migration the code does not know, or another PGlite made it', () => {
    manifest({ migrations: [...Object.keys(migrations), '9999_from_another_branch'] });
    assert.equal(storeTemplate(files), null);
    manifest({ migrations: ['0002_link_data'] });
    assert.equal(storeTemplate(files), null);
    manifest({ pglite: '0.0.1' });
    assert.equal(storeTemplate(files), null);
  });

  it('is not used when there is none', () => {
    assert.equal(storeTemplate({ dir: join(dir, 'none'), manifest: join(dir, 'none.json') }), null);
    manifest({});
    assert.equal(storeTemplate({ dir: join(dir, 'none'), manifest: files.manifest }), null);
  });
});
