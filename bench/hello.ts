import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

/** A link-shaped record, so the baseline serialises JSON much like the API does. */
function fakeLink(i: number) {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    institution: 'erebor_mx_retail',
    access_mode: 'recurrent',
    last_accessed_at: '2024-05-01T12:00:00.000Z',
    created_at: '2024-05-01T12:00:00.000Z',
    external_id: null,
    institution_user_id: 'TJnBJrSBMsRbSwB2EYl-Nn5K6gbMmzq6rT2-vyXfnC0=',
    status: 'valid',
    created_by: '9b2b4c1e-3f0a-4f5e-8f6e-2a9d8c7b6a51',
    refresh_rate: '7d',
    credentials_storage: 'store',
    stale_in: null,
    fetch_resources: ['ACCOUNTS', 'OWNERS', 'TRANSACTIONS', 'BALANCES'],
  };
}

/** ~1 KB of JSON. */
export const HELLO_PAYLOAD = { hello: 'world', results: [fakeLink(1), fakeLink(2)] };

/**
 * The baseline: a bare fastify app (no request ids, hooks, shaping or error mapping) whose one
 * route answers HELLO_PAYLOAD behind the very same Basic-auth hook the API uses (`basicAuth(tenants)`
 * of src/http/auth.ts, passed in by bench/server.ts from the same build as the API).
 */
export async function buildHelloApp(authenticate: (request: FastifyRequest) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', authenticate);
  app.get('/hello', async () => HELLO_PAYLOAD);
  await app.ready();
  return app;
}
