import { sql, type RawBuilder } from 'kysely';

/**
 * A timestamp column as the text Date#toISOString prints (both truncate to milliseconds), for
 * answers the store builds as JSON text (link and link-data lists) instead of parsing a Date.
 */
export function isoText(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
