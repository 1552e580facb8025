export { EREBOR_INSTITUTIONS, ereborConnector } from './erebor-connector.js';
