export { HEIMDALL_INSTITUTIONS, heimdallConnector } from './heimdall-connector.js';
