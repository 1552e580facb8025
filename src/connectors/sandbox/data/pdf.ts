/**
 * A real, minimal PDF 1.4 document written by hand: one US-Letter page of Helvetica text.
 * Fiscal and employment records carry PDFs (tax returns, tax status, compliance opinions, IMSS
 * reports); bytes that open in any reader beat a placeholder string.
 *
 * Layout of the file (byte offsets in the cross-reference table must be exact):
 *   %PDF-1.4 header and a binary comment (so transfer tools treat it as binary)
 *   1 0 obj Catalog -> 2 0 obj Pages -> 3 0 obj Page (MediaBox, Font resource, Contents)
 *   4 0 obj Font (Type1 Helvetica, WinAnsiEncoding) ; 5 0 obj content stream ; 6 0 obj Info
 *   xref table, trailer (Size, Root, Info), startxref, %%EOF
 * Text is Latin-1 (WinAnsi covers Spanish and Portuguese accents); anything else becomes '?'.
 */

export interface PdfContent {
  title: string;
  /** Body lines, in order; a page holds about 44 of them, more are dropped. */
  lines: string[];
  /** `D:YYYYMMDDHHmmSS` creation date for the Info dictionary (deterministic, from the data). */
  creationDate: string;
}

const MAX_LINES = 44;

/** Characters outside Latin-1 that WinAnsiEncoding still has (bytes 0x80-0x9F). */
const WIN_ANSI: Record<string, string> = {
  '\u20ac': '\x80', '\u2018': '\x91', '\u2019': '\x92', '\u201c': '\x93', '\u201d': '\x94',
  '\u2022': '\x95', '\u2013': '\x96', '\u2014': '\x97',
};

/** Escapes a PDF literal string and keeps it to single bytes (WinAnsi). */
function pdfString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '(' || ch === ')') out += `\\${ch}`;
    else if (code < 32) out += ' ';
    else if (code > 255) out += WIN_ANSI[ch] ?? '?';
    else out += ch;
  }
  return `(${out})`;
}

/** The PDF as bytes. */
export function buildPdf(content: PdfContent): Buffer {
  const lines = content.lines.slice(0, MAX_LINES);
  const stream = [
    'BT',
    '/F1 15 Tf',
    '72 730 Td',
    `${pdfString(content.title)} Tj`,
    '/F1 10 Tf',
    '14 TL',
    'T*',
    ...lines.map((line) => `T* ${pdfString(line)} Tj`),
    'ET',
    // A rule under the title.
    '0.5 w 72 722 m 540 722 l S',
  ].join('\n');

  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    // Latin-1: one character is one byte, so the string length is the byte length.
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    `<< /Title ${pdfString(content.title)} /Producer (Vinculo sandbox) /CreationDate (${content.creationDate}) >>`,
  ];

  let file = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(file.length);
    file += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = file.length;
  file += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) file += `${String(offset).padStart(10, '0')} 00000 n \n`;
  file += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(file, 'latin1');
}

/** The PDF as base64, the way Belvo's `pdf` fields carry it. */
export function pdfBase64(content: PdfContent): string {
  return buildPdf(content).toString('base64');
}

/** `D:YYYYMMDDHHmmSSZ` of an ISO timestamp. */
export function pdfDate(iso: string): string {
  return `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}
