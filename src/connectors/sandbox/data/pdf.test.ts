import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPdf, pdfBase64, pdfDate } from './pdf.js';
import { base64PdfProblems, pdfProblems } from './testing.js';

describe('sandbox PDF', () => {
  const doc = { title: 'Constancia de Situación Fiscal', lines: ['RFC: MAOL850312AB1', 'Año (2025) — back\\slash €'], creationDate: 'D:20250315120000Z' };

  it('has a header, objects at the offsets its xref table gives, a trailer and %%EOF', () => {
    const bytes = buildPdf(doc);
    assert.deepEqual(pdfProblems(bytes), []);
    const text = bytes.toString('latin1');
    assert.ok(text.startsWith('%PDF-1.4\n'));
    assert.ok(text.endsWith('%%EOF\n'));
    // Catalog -> Pages -> one Page whose content stream draws the title.
    assert.match(text, /1 0 obj\n<< \/Type \/Catalog \/Pages 2 0 R >>/);
    assert.match(text, /\/Type \/Pages \/Kids \[3 0 R\] \/Count 1/);
    assert.match(text, /\(Constancia de Situaci\xf3n Fiscal\) Tj/);
  });

  it('escapes parentheses and backslashes and keeps text to single bytes', () => {
    const text = buildPdf(doc).toString('latin1');
    assert.ok(text.includes('(A\xf1o \\(2025\\) \x97 back\\\\slash \x80) Tj'));
    assert.deepEqual(pdfProblems(buildPdf({ ...doc, lines: ['日本語 ok'] })), []);
  });

  it('is deterministic and base64 round-trips', () => {
    assert.equal(pdfBase64(doc), pdfBase64(doc));
    assert.deepEqual(base64PdfProblems(pdfBase64(doc)), []);
    assert.deepEqual(Buffer.from(pdfBase64(doc), 'base64'), buildPdf(doc));
  });

  it('keeps to one page however many lines it is given', () => {
    const many = buildPdf({ ...doc, lines: Array.from({ length: 200 }, (_, i) => `line ${i}`) });
    assert.deepEqual(pdfProblems(many), []);
    assert.match(many.toString('latin1'), /\(line 43\) Tj/);
    assert.doesNotMatch(many.toString('latin1'), /\(line 44\) Tj/);
  });

  it('the checker catches a broken offset', () => {
    const text = buildPdf(doc).toString('latin1').replace('1 0 obj', '1 0 obk');
    assert.ok(pdfProblems(Buffer.from(text, 'latin1')).some((p) => p.includes('entry 1')));
  });

  it('formats creation dates', () => {
    assert.equal(pdfDate('2025-03-15T12:34:56.000Z'), 'D:20250315123456Z');
  });
});
