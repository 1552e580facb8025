export { RFC_PATTERN, TATOOINE_INSTITUTIONS, tatooineConnector } from './tatooine-connector.js';
