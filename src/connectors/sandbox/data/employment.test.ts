import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtractRequest, ExtractedRecord } from '../../connector.js';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { luhnValid } from './documents.js';
import { extractEmploymentRecords } from './employment.js';
import { NOW, asServed, base64PdfProblems, request } from './testing.js';

const IMSS = 'imss_mx_employment';
const extract = (curp: string, extra: Partial<ExtractRequest> = {}) =>
  extractEmploymentRecords(request(IMSS, 'EMPLOYMENT_RECORDS', { username: curp }, extra));

type Job = {
  start_date: string;
  end_date?: string;
  weeks_employed: number;
  most_recent_base_salary: number;
  employment_status_updates: { event: string; base_salary: number; update_date: string }[];
};

const CURPS = ['GOML850312HDFRRS09', 'PEMA020715MJCRRNA3', 'ABCD800101HDFXYZ09', 'RAHE560905MNLMRL01'];

describe('sandbox employment records', () => {
  it('returns one report per CURP, deterministic, different per CURP', () => {
    const [a] = extract(CURPS[0]);
    assert.deepEqual(extract(CURPS[0].toLowerCase()), [a]);
    assert.equal(a.internal_identification, CURPS[0]);
    assert.notDeepEqual(extract(CURPS[1])[0].personal_data, a.personal_data);
  });

  it('agrees with the CURP: birth date, documents and name letters', () => {
    for (const curp of CURPS) {
      const [r] = extract(curp);
      const p = r.personal_data as { birth_date: string; first_name: string; last_name: string; document_ids: { document_type: string; document_number: string }[] };
      const century = /\d/.test(curp[16]) ? '19' : '20';
      assert.equal(p.birth_date, `${century}${curp.slice(4, 6)}-${curp.slice(6, 8)}-${curp.slice(8, 10)}`);
      assert.deepEqual(p.document_ids[0], { document_type: 'CURP', document_number: curp });
      assert.equal(p.document_ids[1].document_type, 'NSS');
      assert.match(p.document_ids[1].document_number, /^\d{11}$/);
      assert.ok(luhnValid(p.document_ids[1].document_number));
      assert.equal(p.document_ids[1].document_number.slice(4, 6), curp.slice(4, 6), 'NSS carries the birth year');
    }
    // GOML: a paternal surname starting with G then O, a maternal one with M, a first name with L.
    const p = extract(CURPS[0])[0].personal_data as { first_name: string; last_name: string };
    assert.match(p.first_name, /^L/);
    assert.match(p.last_name, /^Go\S+ M/);
  });

  it('keeps a consistent working history', () => {
    for (const curp of CURPS) {
      const [r] = extract(curp);
      const jobs = r.employment_records as Job[];
      const summary = r.social_security_summary as { weeks_contributed: number };
      assert.equal(summary.weeks_contributed, jobs.reduce((s, j) => s + j.weeks_employed, 0));
      const ongoing = jobs.filter((j) => j.end_date === undefined);
      assert.ok(ongoing.length <= 1);
      const status = (r.personal_data as { entitlements: { status: string } }).entitlements.status;
      assert.equal(status, ongoing.length === 1 ? 'EMPLOYED' : 'UNEMPLOYED');
      for (const j of jobs) {
        const events = j.employment_status_updates;
        assert.equal(events[0].event, 'HIRED');
        assert.equal(events[0].update_date, j.start_date);
        if (j.end_date) assert.deepEqual(events.at(-1)!.event, 'DISMISSED_RESIGNED');
        assert.ok(events.every((e) => e.update_date <= NOW.toISOString().slice(0, 10)));
        const raises = events.filter((e) => e.event === 'SALARY_MODIFICATION');
        for (let k = 1; k < raises.length; k++) assert.ok(raises[k].base_salary > raises[k - 1].base_salary);
      }
      // Most recent job first, jobs never overlap.
      for (let k = 1; k < jobs.length; k++) assert.ok(jobs[k].end_date! < jobs[k - 1].start_date);
    }
  });

  it('moves forward with time without rewriting the past', () => {
    const before = extract(CURPS[0]);
    const after = extract(CURPS[0], { now: new Date(NOW.getTime() + 3 * 365 * 86_400_000) });
    const ended = (r: ExtractedRecord[]) => (r[0].employment_records as (Job & { collected_at: string })[]).filter((j) => j.end_date).map(({ collected_at, ...j }) => j);
    for (const job of ended(before)) assert.ok(ended(after).some((j) => JSON.stringify(j) === JSON.stringify(job)));
    const weeks = (r: ExtractedRecord[]) => (r[0].social_security_summary as { weeks_contributed: number }).weeks_contributed;
    assert.ok(weeks(after) > weeks(before));
  });

  it('attaches the weeks report as a real PDF when asked', () => {
    const [r] = extract(CURPS[0], { attachPdf: true });
    const files = r.files as { type: string; value: string }[];
    assert.equal(files.length, 1);
    assert.equal(files[0].type, 'ReporteSemanasCotizadas_250315');
    assert.deepEqual(base64PdfProblems(files[0].value), []);
    assert.deepEqual(extract(CURPS[0])[0].files, []);
  });

  it('validates against the EmploymentRecord schema once served', () => {
    for (const curp of CURPS) assertSchema('EmploymentRecord', asServed(extract(curp, { attachPdf: true })[0]));
  });
});
