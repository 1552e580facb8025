import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validates response bodies against the schemas of Belvo's published OpenAPI document
 * (../shared/contract/belvo-openapi-subset.yaml), so "wire-compatible" is checked, not assumed.
 */
const specPath = new URL('../../../shared/contract/belvo-openapi-subset.yaml', import.meta.url);
const spec = parse(readFileSync(specPath, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema({ $id: 'belvo', components: spec.components });

export function assertSchema(schema: string, value: unknown): void {
  const validate = ajv.getSchema(`belvo#/components/schemas/${schema}`);
  assert.ok(validate, `no schema ${schema}`);
  const ok = validate(value);
  assert.ok(ok, `${schema}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}
