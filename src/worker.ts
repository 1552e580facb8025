import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { openServices, startWorkers, workerSteps } from './server.js';
import { onSignals, reportShutdown, runShutdown } from './shutdown.js';

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
  const signals = onSignals();
  const signal = await signals.first;
  logger.info({ signal, deadline_seconds: config.shutdownSeconds }, 'worker shutting down');
  const steps = [...workerSteps(services), { name: 'store', run: () => store.close() }];
  return reportShutdown(logger, await runShutdown(steps, { deadlineMs: config.shutdownSeconds * 1000, interrupted: signals.again }));
}
