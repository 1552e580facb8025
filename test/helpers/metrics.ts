import assert from 'node:assert/strict';

/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/**
 * Parses Prometheus text format 0.0.4 strictly enough for tests: every line is a comment
 * (`# HELP`/`# TYPE`), blank, or a well-formed sample whose family was declared by `# TYPE`.
 */
export function parseMetrics(text: string): Sample[] {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      assert.match(type, /^(counter|gauge|histogram|summary|untyped)$/, line);
      families.add(name);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const [, name, rawLabels = '', rawValue] = m;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < rawLabels.length) {
      const l = LABEL.exec(rawLabels);
      assert.ok(l, `bad labels in: ${line}`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    // Prometheus reads values with Go's ParseFloat, which ignores case: prom-client writes `Nan`.
    const value = /^[+-]?inf$/i.test(rawValue) ? (rawValue.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(rawValue) ? NaN : Number(rawValue);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(rawValue), `bad value in: ${line}`);
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(families.has(name) || families.has(family), `sample without # TYPE: ${line}`);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function find(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the matching samples' values (0 when none). */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}
