/**
 * OWNERS: customers-2.2.1 `/personal/identifications` → Belvo `Owner` records. Only the consenting
 * customer is shared by OFB (no co-holders of joint accounts); qualifications and financial
 * relations (income, patrimony, procurators) have no field in Belvo's Owner and are not mapped.
 */
import type { ExtractedRecord } from '../../connector.js';
import type { OfbPersonalIdentification, OfbPhone, OfbPostalAddress } from './types.js';
import { text } from './values.js';

/** Lower-case particles that belong to the surname that follows them ("da Silva", "dos Santos"). */
const PARTICLES = new Set(['da', 'das', 'de', 'do', 'dos', 'e', "d'"]);
/** Agnomes follow the family name and are part of it ("Silva Filho"). */
const AGNOMES = new Set(['filho', 'filha', 'junior', 'júnior', 'jr', 'jr.', 'neto', 'neta', 'sobrinho', 'sobrinha', 'segundo', 'terceiro']);

/**
 * Splits a Brazilian full name into Belvo's first and last name: the first word, and the final
 * surname with the particles before it and any agnome after it ("Maria da Silva Santos" → Maria /
 * Santos; "João dos Santos" → João / dos Santos; "José Pereira Filho" → José / Pereira Filho).
 * The middle names (often the mother's surname) are in neither: Belvo's `second_last_name` is
 * the Spanish maternal surname, which Portuguese order does not put last, so it stays null.
 */
export function splitName(fullName: string): { first_name: string | null; last_name: string | null } {
  const words = fullName.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { first_name: null, last_name: null };
  if (words.length === 1) return { first_name: words[0], last_name: null };
  let start = words.length - 1;
  if (AGNOMES.has(words[start].toLowerCase()) && start > 1) start--;
  while (start > 1 && PARTICLES.has(words[start - 1].toLowerCase())) start--;
  return { first_name: words[0], last_name: words.slice(start).join(' ') };
}

const main = <T extends { isMain: boolean }>(items: readonly T[] | undefined): T | undefined => items?.find((i) => i.isMain) ?? items?.[0];

/** `+5511912345678` (E.164, Brazil's 55 when the bank omits it, as the document allows). */
export function phoneNumber(phone: OfbPhone | undefined): string | null {
  if (!phone) return null;
  const digits = `${phone.countryCallingCode ?? '55'}${phone.areaCode ?? ''}${phone.number}`.replace(/\D/g, '');
  if (!digits) return null;
  return phone.phoneExtension ? `+${digits} ramal ${phone.phoneExtension}` : `+${digits}`;
}

/** One line, Brazilian order: `Rua X, 123, Apto 4 - Bairro, Cidade - UF, 01310-100` (+ country abroad). */
export function postalAddress(a: OfbPostalAddress | undefined): string | null {
  if (!a) return null;
  const street = [a.address, a.additionalInfo].map((s) => text(s)).filter(Boolean).join(', ');
  const district = text(a.districtName);
  const town = [text(a.townName), text(a.countrySubDivision)].filter(Boolean).join(' - ');
  const cep = /^\d{8}$/.test(a.postCode ?? '') ? `${a.postCode.slice(0, 5)}-${a.postCode.slice(5)}` : text(a.postCode);
  const abroad = a.countryCode ? a.countryCode !== 'BRA' : !/^bra[sz]il$/i.test(a.country ?? '');
  const line = [district ? `${street} - ${district}` : street, town, cep, abroad ? text(a.country) : null].filter(Boolean).join(', ');
  return line || null;
}

/** CPF; a passport for a customer without one (residents abroad); null when neither is sent. */
function documentId(docs: OfbPersonalIdentification['documents']): { document_type: string; document_number: string } | null {
  if (docs?.cpfNumber) return { document_type: 'CPF', document_number: docs.cpfNumber };
  if (docs?.passport?.number) return { document_type: 'PASSPORT', document_number: docs.passport.number };
  return null;
}

// Belvo's Owner.email is `format: email`, maxLength 256; OFB allows 320.
const emailOf = (value: string | undefined) => (value && value.length <= 256 ? value : null);

export function ownerRecord(p: OfbPersonalIdentification): ExtractedRecord {
  // The social name is the one the person identifies with (customers-2.2.1 `socialName`): shown first.
  const displayName = text(p.socialName, p.civilName);
  return {
    internal_identification: p.personalId,
    display_name: displayName,
    ...splitName(displayName ?? ''),
    second_last_name: null,
    email: emailOf(main(p.contacts?.emails)?.email),
    phone_number: phoneNumber(main(p.contacts?.phones)),
    address: postalAddress(main(p.contacts?.postalAddresses)),
    document_id: documentId(p.documents),
  };
}

/** One owner per identification record; the same `personalId` twice is one owner (the last one). */
export function mapOwners(identifications: readonly OfbPersonalIdentification[]): ExtractedRecord[] {
  const out = new Map<string, ExtractedRecord>();
  for (const p of identifications) out.set(p.personalId, ownerRecord(p));
  return [...out.values()];
}
