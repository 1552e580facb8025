/**
 * Hostile-input guards that apply to every route, so no handler, filter or query ever sees them:
 * JSON bodies nested deeper than any Belvo request (a 20,000-level body would overflow the
 * validator's recursion), NUL characters (PostgreSQL text cannot hold them, and they must be
 * refused before an institution login, not at insert), and over-limit bodies (answered, never a
 * reset connection).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError, fieldError, ValidationErrors, type VinculoError } from '../errors.js';

/** Deepest nesting accepted in a JSON body; Belvo's deepest request (a widget config) has 4 levels. */
export const MAX_JSON_DEPTH = 32;
/** An over-limit body is read and discarded up to this many bytes so its answer can be delivered. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
const NUL_MESSAGE = 'Null characters are not allowed.';

/** The JSON body parser: empty → undefined (the SDK sends the header on bodiless DELETEs), depth, NUL. */
export function registerJsonParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text === '') return done(null, undefined);
    if (exceedsDepth(text, MAX_JSON_DEPTH)) {
      return done(apiError('parse_error', `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Fixed text: JSON.parse messages can quote the body, which may hold credentials.
      return done(apiError('parse_error'), undefined);
    }
    // A NUL can only arrive escaped (raw control characters are not valid JSON).
    const errors = text.includes('\\u0000') ? nulFields(value) : [];
    done(errors.length ? new ValidationErrors(errors) : null, value);
  });
}

/** Query-string and path parameters holding a NUL: 400 on the query key, 404 for a path id. */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (!/%00/i.test(req.url)) return;
    const errors: VinculoError[] = [];
    for (const [key, value] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      const values = Array.isArray(value) ? value : [value];
      if (key.includes('\0') || values.some((v) => typeof v === 'string' && v.includes('\0'))) {
        errors.push(fieldError.invalid(key.replaceAll('\0', ''), NUL_MESSAGE));
      }
    }
    if (errors.length) throw new ValidationErrors(errors);
    if (Object.values((req.params ?? {}) as Record<string, unknown>).some((v) => typeof v === 'string' && v.includes('\0'))) {
      throw apiError('not_found');
    }
  });
}

/**
 * Reads and discards what is left of an over-limit body before the answer goes out: a server that
 * answers and closes while the client is still sending makes the client's TCP stack see a reset,
 * and most HTTP clients then report "fetch failed" instead of the answer.
 */
export function drainRequest(req: FastifyRequest): Promise<void> {
  const raw = req.raw;
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const finish = () => {
      raw.off('data', onData);
      raw.off('end', finish);
      raw.off('error', finish);
      raw.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_LIMIT) {
        raw.destroy();
        finish();
      }
    };
    raw.on('data', onData);
    raw.on('end', finish);
    raw.on('error', finish);
    raw.on('close', finish);
    raw.resume();
  });
}

/** True when `text` opens more than `max` arrays/objects at once (strings skipped, escapes honoured). */
function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Every key or string value holding a NUL, as a field error named by its dotted path. */
function nulFields(value: unknown, path = '', out: VinculoError[] = []): VinculoError[] {
  if (typeof value === 'string') {
    if (value.includes('\0')) out.push(fieldError.invalid(path || 'body', NUL_MESSAGE));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const at = path ? `${path}.${key.replaceAll('\0', '')}` : key.replaceAll('\0', '');
      if (key.includes('\0')) out.push(fieldError.invalid(at, NUL_MESSAGE));
      else nulFields(child, at, out);
    }
  }
  return out;
}
