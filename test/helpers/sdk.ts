import belvo from 'belvo';
import type { Client, Harness } from './harness.js';

/** The official `belvo` SDK's client class (its CommonJS default export, whichever way it is loaded). */
export const BelvoClient = (belvo as unknown as { default: new (id: string, pw: string, url: string) => any }).default ?? belvo;

/**
 * The official SDK, pointed at this harness by base URL only — what a Belvo client does unchanged —
 * connected with `client`'s keys (a new tenant's when not given). The harness must be listening.
 */
export async function sdkFor(h: Harness, client?: Client): Promise<any> {
  const c = client ?? (await h.newClient());
  const sdk = new BelvoClient(c.id, c.password, h.baseUrl);
  await sdk.connect();
  return sdk;
}
