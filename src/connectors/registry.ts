/**
 * The one place connectors are registered. The institution catalogue (`GET /api/institutions/`)
 * is built from this list: adding a connector means adding it to `builtInConnectors`, nothing else.
 */
import type { Connector, InstitutionDefinition } from './connector.js';
import { ereborConnector } from './sandbox/erebor/index.js';
import { gothamConnector } from './sandbox/gotham/index.js';
import { gringottsConnector } from './sandbox/gringotts/index.js';
import { heimdallConnector } from './sandbox/heimdall/index.js';
import { imssConnector } from './sandbox/imss/index.js';
import { tatooineConnector } from './sandbox/tatooine/index.js';

/** One institution of the catalogue and the connector that logs in to it. */
export interface CatalogueEntry {
  definition: InstitutionDefinition;
  connector: Connector;
}

export const builtInConnectors: readonly Connector[] = [
  ereborConnector,
  gringottsConnector,
  gothamConnector,
  heimdallConnector,
  tatooineConnector,
  imssConnector,
];

/**
 * Indexes every institution of `connectors` by name. Throws on a name or id declared twice, since
 * links and the store refer to institutions by both and must never resolve to the wrong one.
 */
export function buildCatalogue(connectors: readonly Connector[]): ReadonlyMap<string, CatalogueEntry> {
  const byName = new Map<string, CatalogueEntry>();
  const ids = new Map<number, string>();
  for (const connector of connectors) {
    for (const definition of connector.institutions) {
      if (byName.has(definition.name)) throw new Error(`Institution name declared twice: ${definition.name}`);
      const owner = ids.get(definition.id);
      if (owner !== undefined) throw new Error(`Institution id ${definition.id} declared twice: ${owner} and ${definition.name}`);
      byName.set(definition.name, { definition, connector });
      ids.set(definition.id, definition.name);
    }
  }
  return byName;
}
