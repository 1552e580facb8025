import { runConnectorContract } from '../../connector.contract.js';
import { gringottsConnector } from './index.js';

runConnectorContract({ name: 'gringotts', make: () => gringottsConnector });
