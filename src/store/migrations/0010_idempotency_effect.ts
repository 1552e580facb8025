import type { Kysely } from 'kysely';

/**
 * idempotency_keys.effect: what a request under the key has done, written in the same transaction
 * as the thing itself (Stripe's "recovery point"), e.g. `{"link":"<id>"}` once a registration
 * stored its link. A retry that takes over the key of a process that died reads it and answers
 * from it instead of doing the thing again. Not secret (ids only), so not sealed.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').addColumn('effect', 'text').execute();
}
