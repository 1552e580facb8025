export { CURP_PATTERN, IMSS_INSTITUTIONS, imssConnector } from './imss-connector.js';
