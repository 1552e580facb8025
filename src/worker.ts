import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { openServices, startWorkers } from './server.js';

/**
 * `vinculo worker`: background jobs only (first loads, refreshes, webhook deliveries, the
 * scheduler), no HTTP. Run as many as you like beside API processes on one PostgreSQL; the
 * embedded store is single-process, so there `npm start` runs both in one process.
 * Resolves when the process is asked to stop (SIGINT/SIGTERM) and has finished its running jobs.
 */
export async function runWorker(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const options = { config, logger, warn: (m: string) => logger.warn(m), workers: true };
  const { store, services } = await openServices(options, 'vinculo worker');
  await startWorkers(options, services);
  logger.info({ store: store.kind }, 'vinculo worker is ready');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'worker shutting down');
  await services.scheduler.stop();
  await services.queue.stop();
  await services.webhooks.stop();
  await store.close();
  return 0;
}
