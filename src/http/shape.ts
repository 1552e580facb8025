import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * `fields=a,b` keeps only those top-level keys, `omit=a,b` drops them (fields first, then omit).
 * Applied to every successful JSON answer: each item of a page's `results`, each item of an
 * array, or the object itself. Unknown names are ignored, as Belvo does.
 */
function names(v: unknown): Set<string> | null {
  if (v === undefined) return null;
  const s = (Array.isArray(v) ? v.join(',') : String(v))
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return new Set(s);
}

function pick(obj: unknown, fields: Set<string> | null, omit: Set<string> | null): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (fields && !fields.has(k)) continue;
    if (omit?.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Whether the request asks for `fields` or `omit` (answers prepared as JSON text cannot be shaped). */
export function asksForShape(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return query?.fields !== undefined || query?.omit !== undefined;
}

export function shapePayload(request: FastifyRequest, payload: unknown): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  const fields = names(query?.fields);
  const omit = names(query?.omit);
  if (!fields && !omit) return payload;
  if (Array.isArray(payload)) return payload.map((p) => pick(p, fields, omit));
  if (payload && typeof payload === 'object' && 'results' in payload && 'count' in payload) {
    const page = payload as { results: unknown[] };
    return { ...page, results: page.results.map((p) => pick(p, fields, omit)) };
  }
  return pick(payload, fields, omit);
}

export function registerShaping(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload) =>
    // 202 answers carry only a request id, not the resource fields/omit speak of.
    reply.statusCode < 300 && reply.statusCode !== 202 ? shapePayload(request, payload) : payload,
  );
}
