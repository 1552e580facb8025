import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createVinculo } from './server.js';
import { VinculoError } from './errors.js';

/** `npm start`: the API on PORT with the configured store (embedded PGlite by default). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const vinculo = await createVinculo({ config, logger, warn: (m) => logger.warn(m), workers: config.workers });
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await vinculo.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await vinculo.app.listen({ port: config.port, host: config.host });
  const { port } = vinculo.app.server.address() as AddressInfo;
  logger.info({ store: vinculo.store.kind, port }, 'vinculo is ready');
}

main().catch((err) => {
  // Config and store errors are ours and say what to do; anything else gets its stack.
  console.error(err instanceof VinculoError ? `vinculo: ${err.message}` : err);
  process.exit(1);
});
