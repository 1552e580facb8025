export { GOTHAM_INSTITUTIONS, gothamConnector } from './gotham-connector.js';
