/**
 * The benchmarks' common summary (`npm run bench`, bench/all.ts). Besides its own tables, each
 * benchmark records its headline figures with `report`: one JSON line per figure, appended to the
 * file BENCH_REPORT names (nothing when it is unset, as when a benchmark runs on its own).
 */
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** Issue 12's heading: Start, Detail, Lists, Refresh… */
  area: string;
  what: string;
  figure: string;
  /** What it is compared with, measured in the same run (Prism, bare fastify, node hello…). */
  reference?: string;
  target?: string;
  /** null: no target, or it could not be judged. */
  met?: boolean | null;
}

export function report(figure: Figure): void {
  const file = process.env.BENCH_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}
