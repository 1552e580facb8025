import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { ValidationErrors } from '../errors.js';
import { openStore, type Store } from '../store/db.js';
import { applyFilters } from '../store/queries/filters.js';
import { defineFilters, parseFilters, type FilterField } from './index.js';

const filters = defineFilters({
  id: { column: 's.id', type: 'uuid', ops: ['eq', 'in'] },
  name: { column: 's.name', type: 'string', ops: ['eq', 'in', 'icontains'] },
  status: { column: 's.status', type: 'string', ops: ['eq', 'in'], choices: ['valid', 'invalid'] },
  note: { column: 's.note', type: 'string', ops: ['in', 'not_in'] },
  qty: { column: 's.qty', type: 'integer', ops: ['eq', 'in'] },
  created_at: { column: 's.created_at', type: 'datetime', ops: ['eq', 'in', 'gt', 'gte', 'lt', 'lte', 'range'] },
  d: { column: 's.d', type: 'date', ops: ['eq', 'gt', 'gte', 'lt', 'lte', 'range'] },
  balance: { column: 's.amount', type: 'number', ops: ['eq', 'gt', 'lte', 'range'] },
  balance__current: {
    column: () => sql`(s.meta->'balance'->>'current')::numeric`,
    type: 'number',
    ops: ['eq', 'gte'],
  },
  tags: { column: 's.tags', type: 'string', shape: 'array', ops: ['eq', 'in', 'not_in', 'allin'] },
});

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';

describe('defineFilters', () => {
  it('freezes the set, its fields and their op lists', () => {
    assert.ok(Object.isFrozen(filters) && Object.isFrozen(filters.fields));
    assert.ok(Object.isFrozen(filters.fields.tags) && Object.isFrozen(filters.fields.tags.ops));
  });

  it('rejects ops that do not fit the field and reserved names', () => {
    const define = (name: string, field: Omit<FilterField, 'column'>) => () =>
      defineFilters({ [name]: { column: 'a', ...field } });
    assert.throws(define('a', { type: 'string', shape: 'array', ops: ['gte'] }), /op 'gte'/);
    assert.throws(define('a', { type: 'string', ops: ['allin'] }), /op 'allin'/);
    assert.throws(define('a', { type: 'integer', ops: ['icontains'] }), /op 'icontains'/);
    assert.throws(define('page', { type: 'integer', ops: ['eq'] }), /reserved/);
  });
});

describe('parseFilters', () => {
  const parse = (query: Record<string, unknown>) =>
    parseFilters(filters, query).map(({ name, op, values }) => ({ name, op, values }));

  it('resolves the longest declared name, then the op suffix', () => {
    assert.deepEqual(parse({ balance: '1', balance__current: '2', balance__current__gte: '3', balance__gt: '4' }), [
      { name: 'balance', op: 'eq', values: ['1'] },
      { name: 'balance__current', op: 'eq', values: ['2'] },
      { name: 'balance__current', op: 'gte', values: ['3'] },
      { name: 'balance', op: 'gt', values: ['4'] },
    ]);
  });

  it('ignores unknown keys, undeclared ops, reserved keys and empty values', () => {
    const reserved = { page: '2', page_size: '9', fields: 'id', omit: 'd' };
    assert.deepEqual(parse({ ...reserved, x: '1', name__gte: 'a', qty__range: '1,2', name: '' }), []);
  });

  it('accepts repeated keys and axios `key[]` arrays as one list', () => {
    assert.deepEqual(parse({ 'tags__in[]': ['A', 'B'], qty__in: ['1', '2,3'] }), [
      { name: 'tags', op: 'in', values: ['A', 'B'] },
      { name: 'qty', op: 'in', values: [1, 2, 3] },
    ]);
  });

  it('parses values by type and freezes the nodes', () => {
    const nodes = parseFilters(filters, {
      id__in: `${U1},${U2.toUpperCase().replaceAll('-', '')}`,
      balance__range: '-1.5,2e3',
      created_at__range: '2024-03-01,2024-03-01T10:20:30.123456789+02:00',
      created_at__gt: '2024-03-01 10:20 05:30', // an unencoded `+` arrives as a space
      created_at__lt: '2024-03-01T10:20:30',
      d: '2024-03-01T23:30:00-03:00', // a timestamp for a date column: its UTC date
      d__lt: '2024-12-31',
    });
    assert.deepEqual(
      nodes.map((n) => n.values),
      [
        [U1, U2],
        ['-1.5', '2e3'],
        [{ start: '2024-03-01T00:00:00Z', end: '2024-03-02T00:00:00Z' }, '2024-03-01T08:20:30.123456Z'],
        ['2024-03-01T04:50:00Z'],
        ['2024-03-01T10:20:30Z'],
        ['2024-03-02'],
        ['2024-12-31'],
      ],
    );
    assert.ok(Object.isFrozen(nodes) && nodes.every((n) => Object.isFrozen(n) && Object.isFrozen(n.values)));
    assert.ok(Object.isFrozen(nodes[2].values[0]));
    assert.equal(nodes[0].kind, 'filter');
  });

  it('numbers a double cannot hold and instants outside years 1–9999 are malformed, offsets become UTC', () => {
    for (const balance of ['1e999999', '-1e999999', '1e-999999', '0.' + '0'.repeat(400) + '1']) {
      assert.throws(() => parseFilters(filters, { balance }), ValidationErrors, balance);
    }
    assert.deepEqual(parseFilters(filters, { balance: '0e-999999' })[0].values, ['0e-999999']);
    for (const created_at__gte of ['0001-01-01T00:00+00:01', '9999-12-31T23:59-00:01']) {
      assert.throws(() => parseFilters(filters, { created_at__gte }), ValidationErrors, created_at__gte);
    }
    assert.deepEqual(parseFilters(filters, { created_at__gte: '1000-01-01T00:00+23:59' })[0].values, ['0999-12-31T00:01:00Z']);
  });

  it('reports every malformed parameter at once, under the key as given', () => {
    const bad: Record<string, string> = {
      id: 'nope',
      'qty__in[]': '1,x',
      balance: '1.2.3',
      balance__range: '1',
      created_at__gte: '2024-02-30',
      created_at__lte: '2024-03-01T24:00:00Z',
      d: '03/01/2024',
      status__in: 'valid,bogus',
      tags__in: 'A,,B',
    };
    const err = (() => {
      try {
        parseFilters(filters, bad);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof ValidationErrors);
    assert.deepEqual(
      err.errors.map((e) => [e.code, e.options.field, e.message]),
      [
        ['invalid', 'id', 'Enter a valid UUID.'],
        ['invalid', 'qty__in[]', 'Enter a whole number.'],
        ['invalid', 'balance', 'Enter a number.'],
        ['invalid', 'balance__range', 'Range requires exactly two values separated by a comma.'],
        ['invalid', 'created_at__gte', 'Enter a valid date/time.'],
        ['invalid', 'created_at__lte', 'Enter a valid date/time.'],
        ['invalid', 'd', 'Enter a valid date.'],
        ['invalid', 'status__in', 'Select a valid choice. bogus is not one of the available choices.'],
        ['invalid', 'tags__in', 'Enter a comma-separated list of values without empty items.'],
      ],
    );
  });
});

describe('applyFilters on PGlite', () => {
  let store: Store;
  let db: Kysely<any>;
  const U3 = '33333333-3333-4333-8333-333333333333';
  const U4 = '44444444-4444-4444-8444-444444444444';
  const ALL = ['Alpha', 'beta_1', 'Gamma%', 'delta\\'];

  before(async () => {
    store = await openStore({ kind: 'embedded', dataDir: null });
    db = store.db as unknown as Kysely<any>;
    await sql`create table filter_scratch (
      id uuid primary key, name text not null, status text not null, note text, qty integer not null,
      created_at timestamptz not null, d date not null, amount numeric not null, meta jsonb not null,
      tags text[] not null
    )`.execute(db);
    // Day boundaries are the point: Alpha and beta_1 sit on the first and last microsecond of 2024-03-01.
    await sql`insert into filter_scratch values
      (${U1}, 'Alpha',  'valid',   'x',  1, '2024-03-01T00:00:00Z',        '2024-03-01', 10.50,
       '{"balance":{"current":7}}',   '{ACCOUNTS,OWNERS}'),
      (${U2}, 'beta_1', 'invalid', null, 2, '2024-03-01T23:59:59.999999Z', '2024-03-02', 100,
       '{"balance":{"current":70}}',  '{ACCOUNTS}'),
      (${U3}, 'Gamma%', 'valid',   'y',  3, '2024-03-02T00:00:00Z',        '2024-03-03', -5.25,
       '{"balance":{"current":-1}}',  '{}'),
      (${U4}, 'delta\\','valid',   'z',  4, '2024-02-29T23:59:59.999999Z', '2024-02-29', 0.1,
       '{"balance":{"current":0.5}}', '{OWNERS,TRANSACTIONS}')
    `.execute(db);
  });

  after(() => store.close());

  /** Asserts the SQL after `where` and its parameters, then runs it and checks the names it returns. */
  async function check(query: Record<string, unknown>, where: string, parameters: unknown[], names: string[]) {
    const qb = applyFilters(db.selectFrom('filter_scratch as s').select('s.name'), parseFilters(filters, query));
    const compiled = qb.compile();
    assert.equal(compiled.sql, `select "s"."name" from "filter_scratch" as "s"${where && ` where ${where}`}`);
    assert.deepEqual(compiled.parameters, parameters);
    const got = (await qb.execute()).map((r) => r.name);
    assert.deepEqual(got.sort(), [...names].sort());
  }

  it('applies nothing without filters', () => check({ page: '1' }, '', [], ALL));

  it('eq, in and icontains on text, with LIKE metacharacters escaped', async () => {
    await check({ name: 'Alpha' }, '"s"."name" = $1', ['Alpha'], ['Alpha']);
    await check({ name__in: 'Alpha,Gamma%,no' }, '"s"."name" in ($1, $2, $3)', ['Alpha', 'Gamma%', 'no'], [
      'Alpha',
      'Gamma%',
    ]);
    await check({ name__icontains: 'ALP' }, '"s"."name" ilike $1', ['%ALP%'], ['Alpha']);
    await check({ name__icontains: '%' }, '"s"."name" ilike $1', ['%\\%%'], ['Gamma%']);
    await check({ name__icontains: '_' }, '"s"."name" ilike $1', ['%\\_%'], ['beta_1']);
    await check({ name__icontains: '\\' }, '"s"."name" ilike $1', ['%\\\\%'], ['delta\\']);
  });

  it('not_in keeps NULLs, like Django exclude()', () =>
    check({ note__not_in: 'x,y' }, '("s"."note" is null or not ("s"."note" in ($1, $2)))', ['x', 'y'], [
      'beta_1',
      'delta\\',
    ]));

  it('uuid and integer values', async () => {
    await check({ id: U1.toUpperCase() }, '"s"."id" = $1', [U1], ['Alpha']);
    await check({ id__in: `${U1},${U2}` }, '"s"."id" in ($1, $2)', [U1, U2], ['Alpha', 'beta_1']);
    await check({ qty__in: '2,4' }, '"s"."qty" in ($1, $2)', [2, 4], ['beta_1', 'delta\\']);
  });

  it('ANDs several filters', () =>
    check(
      { status: 'valid', qty__in: '1,2,3' },
      '"s"."status" = $1 and "s"."qty" in ($2, $3, $4)',
      ['valid', 1, 2, 3],
      ['Alpha', 'Gamma%'],
    ));

  it('numeric comparisons at decimal precision, also through an expression column', async () => {
    await check({ balance__gt: '10.5' }, '"s"."amount" > $1', ['10.5'], ['beta_1']);
    await check({ balance__lte: '0.1' }, '"s"."amount" <= $1', ['0.1'], ['Gamma%', 'delta\\']);
    await check(
      { balance__range: '-10,10.5' },
      '("s"."amount" >= $1 and "s"."amount" <= $2)',
      ['-10', '10.5'],
      ['Alpha', 'Gamma%', 'delta\\'],
    );
    await check(
      { balance__current__gte: '0.5' },
      "(s.meta->'balance'->>'current')::numeric >= $1",
      ['0.5'],
      ['Alpha', 'beta_1', 'delta\\'],
    );
  });

  describe('a bare date on a datetime column is the whole UTC day', () => {
    const day = (d: string) => `${d}T00:00:00Z`;
    const within = '("s"."created_at" >= $1 and "s"."created_at" < $2)';

    it('eq', () =>
      check({ created_at: '2024-03-01' }, within, [day('2024-03-01'), day('2024-03-02')], ['Alpha', 'beta_1']));
    it('range is inclusive of both days', async () => {
      const q = (range: string) => ({ created_at__range: range });
      await check(q('2024-03-01,2024-03-01'), within, [day('2024-03-01'), day('2024-03-02')], ['Alpha', 'beta_1']);
      await check(q('2024-02-29,2024-03-01'), within, [day('2024-02-29'), day('2024-03-02')], [
        'Alpha',
        'beta_1',
        'delta\\',
      ]);
    });
    it('gte from the start of the day', () =>
      check({ created_at__gte: '2024-03-01' }, '"s"."created_at" >= $1', [day('2024-03-01')], [
        'Alpha',
        'beta_1',
        'Gamma%',
      ]));
    it('lte up to the end of the day', () =>
      check({ created_at__lte: '2024-03-01' }, '"s"."created_at" < $1', [day('2024-03-02')], [
        'Alpha',
        'beta_1',
        'delta\\',
      ]));
    it('gt after the end of the day', () =>
      check({ created_at__gt: '2024-03-01' }, '"s"."created_at" >= $1', [day('2024-03-02')], ['Gamma%']));
    it('lt before the start of the day', () =>
      check({ created_at__lt: '2024-03-01' }, '"s"."created_at" < $1', [day('2024-03-01')], ['delta\\']));
    it('in is any of the values, days or instants', () =>
      check(
        { created_at__in: '2024-02-29,2024-03-02T00:00:00Z' },
        '(("s"."created_at" >= $1 and "s"."created_at" < $2) or "s"."created_at" = $3)',
        [day('2024-02-29'), day('2024-03-01'), '2024-03-02T00:00:00Z'],
        ['Gamma%', 'delta\\'],
      ));
    it('the last day of year 9999 still has an end Postgres accepts', () =>
      check({ created_at__lte: '9999-12-31' }, '"s"."created_at" < $1', ['10000-01-01T00:00:00Z'], ALL));
  });

  it('a full timestamp compares exactly, to the microsecond and in its offset', async () => {
    const at = '"s"."created_at"';
    await check({ created_at: '2024-03-01T23:59:59.999999Z' }, `${at} = $1`, ['2024-03-01T23:59:59.999999Z'], [
      'beta_1',
    ]);
    await check({ created_at__gte: '2024-03-01T20:00:00-04:00' }, `${at} >= $1`, ['2024-03-02T00:00:00Z'], [
      'Gamma%',
    ]);
    await check({ created_at__lt: '2024-03-01T00:00:00' }, `${at} < $1`, ['2024-03-01T00:00:00Z'], ['delta\\']);
    await check({ created_at__lte: '2024-03-01T00:00:00' }, `${at} <= $1`, ['2024-03-01T00:00:00Z'], [
      'Alpha',
      'delta\\',
    ]);
  });

  it('date columns compare dates', async () => {
    await check(
      { d__range: '2024-03-01,2024-03-02' },
      '("s"."d" >= $1 and "s"."d" <= $2)',
      ['2024-03-01', '2024-03-02'],
      ['Alpha', 'beta_1'],
    );
    await check({ d: '2024-03-01T23:30:00-03:00' }, '"s"."d" = $1', ['2024-03-02'], ['beta_1']);
    await check({ d__gt: '2024-03-01' }, '"s"."d" > $1', ['2024-03-01'], ['beta_1', 'Gamma%']);
  });

  it('text[] columns: contains, overlap, no overlap, contains all', async () => {
    const both = ['ACCOUNTS', 'OWNERS'];
    await check({ tags: 'ACCOUNTS' }, '$1 = ANY("s"."tags")', ['ACCOUNTS'], ['Alpha', 'beta_1']);
    await check(
      { tags__in: 'TRANSACTIONS,OWNERS' },
      '"s"."tags" && ARRAY[$1, $2]::text[]',
      ['TRANSACTIONS', 'OWNERS'],
      ['Alpha', 'delta\\'],
    );
    await check(
      { tags__not_in: 'ACCOUNTS' },
      '("s"."tags" is null or not ("s"."tags" && ARRAY[$1]::text[]))',
      ['ACCOUNTS'],
      ['Gamma%', 'delta\\'],
    );
    await check({ tags__allin: both.join(',') }, '"s"."tags" @> ARRAY[$1, $2]::text[]', both, ['Alpha']);
  });
});
