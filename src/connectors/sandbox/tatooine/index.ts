export { TATOOINE_INSTITUTIONS, tatooineConnector } from './tatooine-connector.js';
