/**
 * The OFB client of one configured bank, built from its runtime entry: an undici Agent presenting
 * the transport certificate, trusting the entry's extra CAs, with at most
 * `limits.max_concurrent_requests` connections per origin (further calls queue), and the
 * entry's timeout.
 */
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { createOfbClient, type OfbClient } from '../client/index.js';
import type { OfbInstitution } from '../config/index.js';

export type Interceptor = Dispatcher.DispatcherComposeInterceptor;

export interface BuiltClient {
  client: OfbClient;
  close(): Promise<void>;
}

export function buildOfbClient(entry: OfbInstitution, clock: () => Date, extra: readonly Interceptor[] = []): BuiltClient {
  const { secrets, limits } = entry;
  const timeoutMs = Math.round(limits.timeout_seconds * 1000);
  const agent = new Agent({
    connect: {
      cert: secrets.transport.certPem,
      key: secrets.transport.keyPem,
      // `ca` replaces Node's roots: the entry's CAs are extra trust.
      ...(secrets.ca.length ? { ca: [...rootCertificates, ...secrets.ca] } : {}),
      minVersion: 'TLSv1.2',
    },
    connections: limits.max_concurrent_requests,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const client = createOfbClient({
    issuer: entry.discovery_url,
    apiBaseUrl: entry.api_base_url,
    clientId: entry.client_id,
    redirectUri: entry.redirect_uri,
    signingJwk: secrets.signing.privateJwk,
    encryptionJwk: secrets.encryption?.privateJwk,
    transport: { certPem: secrets.transport.certPem, keyPem: secrets.transport.keyPem },
    timeoutMs,
    clock,
    dispatcher: extra.length ? agent.compose(...extra) : agent,
    // Only Vinculo's own sandbox bank is told the tenant's virtual now; an operator's bank never.
    sendSandboxNow: entry.source === 'sandbox',
  });
  return {
    client,
    async close() {
      await client.close();
      await agent.close();
    },
  };
}
