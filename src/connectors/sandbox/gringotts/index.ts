export { GRINGOTTS_INSTITUTIONS, gringottsConnector } from './gringotts-connector.js';
