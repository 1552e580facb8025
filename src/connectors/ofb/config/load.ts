/**
 * Reads VINCULO_OFB_INSTITUTIONS: the JSON file, then every key and certificate file it names,
 * checking all of it (validate.ts) and listing every problem at once, as src/config.ts does for
 * the environment. Called once at start; the result is frozen.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { institutionIdOf } from './ids.js';
import { OfbConfigError, type OfbConfigProblem, type OfbInstitution } from './institution.js';
import { FILE_FIELDS, OfbInstitutionFileEntrySchema, OfbInstitutionsFileSchema, type OfbInstitutionSettings } from './schema.js';
import {
  assembleEntry,
  listProblems,
  materialProblems,
  schemaProblems,
  settingsProblems,
  type Located,
  type MaterialField,
  type OfbInstitutionMaterial,
} from './validate.js';

export interface LoadOptions {
  /** Reads a file (default: node:fs/promises). Paths given are absolute. */
  readFile?: (path: string) => Promise<string | Buffer>;
  /** The time certificates must be valid at (default: now). */
  now?: Date;
}

const MATERIAL: Record<MaterialField, { file: (typeof FILE_FIELDS)[number]; into: keyof OfbInstitutionMaterial }> = {
  signing_key: { file: 'signing_key_file', into: 'signingKey' },
  encryption_key: { file: 'encryption_key_file', into: 'encryptionKey' },
  transport_certificate: { file: 'transport_certificate_file', into: 'transportCertificate' },
  transport_key: { file: 'transport_key_file', into: 'transportKey' },
  ca: { file: 'ca_file', into: 'ca' },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Loads and checks the institutions file at `path`. Resolves the frozen entries, in file order;
 * rejects with OfbConfigError listing every problem (file, entry index, field, message).
 */
export async function loadOfbInstitutions(path: string, options: LoadOptions = {}): Promise<readonly OfbInstitution[]> {
  const file = resolve(path);
  const read = options.readFile ?? ((p: string) => fsReadFile(p));
  const now = options.now ?? new Date();
  const fail = (message: string): never => {
    throw new OfbConfigError([{ file, index: null, field: null, message }]);
  };

  let text: string;
  try {
    text = (await read(file)).toString();
  } catch (err) {
    return fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return fail(`is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(data) || !Array.isArray(data.institutions)) return fail('must be an object {"institutions": [ … ]}');
  const top = { ...data, institutions: [] as unknown[] };
  const problems: OfbConfigProblem[] = schemaProblems(OfbInstitutionsFileSchema, top, { file, index: null }).filter((p) => p.field !== 'institutions');
  if (data.institutions.length === 0) problems.push({ file, index: null, field: 'institutions', message: 'lists no institution' });

  const base = dirname(file);
  const built: { entry: OfbInstitution | null; name: string; id: number; at: Located }[] = [];
  for (const [index, raw] of data.institutions.entries()) {
    const at: Located = { file, index };
    if (!isObject(raw)) {
      problems.push({ ...at, field: null, message: 'must be an object' });
      continue;
    }
    const schema = schemaProblems(OfbInstitutionFileEntrySchema, raw, at);
    const skip = new Set(schema.map((p) => p.field ?? ''));
    problems.push(...schema, ...settingsProblems(raw as Partial<OfbInstitutionSettings>, at, skip));

    // Read every named file that passed the schema; an unreadable one is a problem of its field.
    const material: Partial<Record<keyof OfbInstitutionMaterial, string>> = {};
    const paths: Partial<Record<MaterialField, string>> = {};
    for (const [field, { file: key, into }] of Object.entries(MATERIAL) as [MaterialField, (typeof MATERIAL)[MaterialField]][]) {
      const named = raw[key];
      if (typeof named !== 'string' || skip.has(key)) continue;
      const target = resolve(base, named);
      paths[field] = target;
      try {
        material[into] = (await read(target)).toString();
      } catch (err) {
        problems.push({ ...at, field: key, message: `${target} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      }
    }
    const checked = materialProblems(material, raw as Partial<OfbInstitutionSettings>, at, now, (field, message) =>
      field in MATERIAL
        ? { ...at, field: MATERIAL[field as MaterialField].file, message: `${paths[field as MaterialField]} ${message}` }
        : { ...at, field, message },
    );
    problems.push(...checked.problems);

    const sound = problems.every((p) => p.index !== index);
    const name = typeof raw.name === 'string' ? raw.name : '';
    const id = institutionIdOf({ name, id: typeof raw.id === 'number' ? raw.id : undefined });
    const settings = Object.fromEntries(Object.entries(raw).filter(([k]) => !(FILE_FIELDS as string[]).includes(k))) as OfbInstitutionSettings;
    built.push({ entry: sound ? assembleEntry(settings, checked.result, file) : null, name, id, at });
  }
  problems.push(...listProblems(built.filter((b) => b.name !== '')));
  if (problems.length) throw new OfbConfigError(problems);
  return Object.freeze(built.map((b) => b.entry!));
}
