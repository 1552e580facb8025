import { defineFilters } from '../filters/index.js';

/** What `GET /api/institutions/` can filter on (Belvo's list). */
export const institutionFilters = defineFilters({
  name: { column: 'institutions.name', type: 'string', ops: ['eq', 'in'] },
  display_name: { column: 'institutions.display_name', type: 'string', ops: ['eq'] },
  website: { column: 'institutions.website', type: 'string', ops: ['eq'] },
  type: { column: 'institutions.type', type: 'string', ops: ['eq', 'in'], choices: ['bank', 'fiscal', 'employment'] },
  status: { column: 'institutions.status', type: 'string', ops: ['eq', 'in'], choices: ['healthy', 'down'] },
  country_code: { column: 'institutions.country_codes', type: 'string', shape: 'array', ops: ['eq', 'in'] },
  resources: { column: 'institutions.resources', type: 'string', shape: 'array', ops: ['allin'] },
});
