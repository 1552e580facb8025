import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildProbeApp } from './http/app.js';
import { metricsAccess } from './http/observability.js';
import { createLogger } from './logging.js';
import { closeListener, openServices, startWorkers, workerSteps } from './server.js';
import { onSignals, reportShutdown, runShutdown, type ShutdownStep } from './shutdown.js';

/**
 * `vinculo worker`: background jobs only (first loads, refreshes, webhook deliveries, the
 * scheduler). Run as many as you like beside API processes on one PostgreSQL; the embedded store
 * is single-process, so there `npm start` runs both in one process. With VINCULO_WORKER_PORT it
 * listens there for /healthz, /readyz and /metrics (the API's own probe routes), and nothing else.
 * Resolves when the process is asked to stop (SIGINT/SIGTERM) and has finished its running jobs.
 */
export async function runWorker(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  // Serves no API, so no consent is ever made here: it refreshes at the sandbox bank the API recorded.
  const options = { config, logger, warn: (m: string) => logger.warn(m), workers: true, ofbSandboxBank: 'reuse' as const };
  const { store, services } = await openServices(options, 'vinculo worker');
  // Listen before the jobs start: a port already taken stops the start before any job is fetched,
  // and /readyz answers 503 until the job queue runs.
  let probes: FastifyInstance | null = null;
  if (config.workerPort === null) {
    logger.info('this worker does not serve its metrics (/metrics, /healthz, /readyz): set VINCULO_WORKER_PORT to serve them');
  } else {
    try {
      probes = await buildProbeApp(services, {
        logger,
        metricsAccess: metricsAccess(config),
        trustProxy: config.trustProxy,
        timeouts: { requestSeconds: config.requestTimeoutSeconds, connectionSeconds: config.connectionTimeoutSeconds },
      });
      await probes.listen({ port: config.workerPort, host: config.host });
    } catch (err) {
      await probes?.close().catch(() => {});
      await store.close().catch(() => {});
      throw err;
    }
  }
  await startWorkers(options, services);
  // Before the ready line: a SIGTERM sent as soon as it is seen must find the handler.
  const signals = onSignals();
  const port = probes ? (probes.server.address() as AddressInfo).port : undefined;
  logger.info({ store: store.kind, port }, 'vinculo worker is ready');
  const signal = await signals.first;
  logger.info({ signal, deadline_seconds: config.shutdownSeconds }, 'worker shutting down');
  const steps: ShutdownStep[] = [
    // /readyz answers 503 from now on; /metrics is still served while the jobs finish.
    { name: 'readiness', run: async () => services.health.beginShutdown() },
    ...workerSteps(services),
    ...(probes ? [closeListener(probes, 'listener')] : []),
    { name: 'store', run: () => store.close() },
  ];
  return reportShutdown(logger, await runShutdown(steps, { deadlineMs: config.shutdownSeconds * 1000, interrupted: signals.again }));
}
