export { IMSS_INSTITUTIONS, imssConnector } from './imss-connector.js';
