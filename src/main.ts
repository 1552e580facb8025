import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createVinculo } from './server.js';
import { onSignals, reportShutdown, runShutdown } from './shutdown.js';
import { VinculoError } from './errors.js';

/** `npm start`: the API on PORT with the configured store (embedded PGlite by default). */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const vinculo = await createVinculo({ config, logger, warn: (m) => logger.warn(m), workers: config.workers, deferWorkers: true });
  const signals = onSignals();
  void signals.first.then(async (signal) => {
    logger.info({ signal, deadline_seconds: config.shutdownSeconds, drain_seconds: config.shutdownDrainSeconds }, 'shutting down');
    const result = await runShutdown(vinculo.shutdownSteps(), { deadlineMs: config.shutdownSeconds * 1000, interrupted: signals.again });
    process.exit(reportShutdown(logger, result));
  });
  // Listen first: the job queue and the scheduler start while the first requests are answered
  // (a job sent meanwhile waits for the queue; /readyz says 503 until it runs).
  await vinculo.app.listen({ port: config.port, host: config.host });
  await vinculo.startWorkers();
  const { port } = vinculo.app.server.address() as AddressInfo;
  logger.info({ store: vinculo.store.kind, port }, 'vinculo is ready');
}

main().catch((err) => {
  // Config and store errors are ours and say what to do; anything else gets its stack.
  console.error(err instanceof VinculoError ? `vinculo: ${err.message}` : err);
  process.exit(1);
});
