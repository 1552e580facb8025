/** Mock OFB resource servers of `ofmockbank_br_retail`: public surface. */
export { createResourceServer, mockRequest, type ResourceServer, type ResourceServerOptions } from './server.js';
export type { Grant, MockRequest, MockResponse } from './http.js';
export { createFaults, DEFAULT_LIMITS, type Fault, type FaultStatus, type Faults, type OperationalLimits } from './faults.js';
export { fixtureFor, planFor, type AccountFixture, type CardFixture, type CustomerFixture } from './fixture.js';
export { isValidCpf, isValidCnpj, normalizeCpf, localDay, parseYmd, ymd } from './documents.js';
export { BANK } from './bank.js';
