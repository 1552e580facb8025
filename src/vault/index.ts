// Public surface of the credential vault; everything else in this folder is internal.
export { Vault, keyId, type Keyring } from './vault.js';
export { loadKeyring, rotateDevKeyring, type KeyringOptions } from './keyring.js';
export { rotateMaster } from './rotate.js';
