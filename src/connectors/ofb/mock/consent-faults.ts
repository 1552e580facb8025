/**
 * Faults a test injects into a mock bank's consent flow, by CPF: consent creation answering a
 * server error, the authorization endpoint ending with an OAuth error. Kept as one small piece of
 * state so that the consents API and the pages only ask "does this request fail?".
 */
import type { ConsentCreationFault } from './consents.js';

/** OAuth errors the authorization endpoint itself can end with (RFC 6749 §4.1.2.1). */
export type AuthorizationFault = 'server_error' | 'temporarily_unavailable';

const digitsOf = (cpf: string) => cpf.replace(/\D/g, '');

/** A fault that still hits `left` requests. */
interface Pending {
  left: number;
}

/** Injected faults by CPF (digits only), each with how many requests it still hits. */
export class ConsentFaults {
  private readonly creation = new Map<string, Pending & { status: ConsentCreationFault['status'] }>();
  private readonly authorization = new Map<string, Pending & { error: AuthorizationFault }>();

  /** See `MockBankFaults.failConsentCreation` (bank.ts). */
  failConsentCreation(cpf: string, status: ConsentCreationFault['status'], times = 1): void {
    this.creation.set(digitsOf(cpf), { status, left: times });
  }

  /** See `MockBankFaults.failAuthorization` (bank.ts). */
  failAuthorization(cpf: string, error: AuthorizationFault, times = 1): void {
    this.authorization.set(digitsOf(cpf), { error, left: times });
  }

  /** The creation fault this request hits (counting it), or null. */
  takeConsentCreation(cpf: string): ConsentCreationFault | null {
    const f = take(this.creation, digitsOf(cpf));
    return f ? { status: f.status } : null;
  }

  /** The authorization fault this request hits (counting it), or undefined. */
  takeAuthorization(cpf: string): AuthorizationFault | undefined {
    return take(this.authorization, digitsOf(cpf))?.error;
  }
}

function take<T extends Pending>(faults: Map<string, T>, cpf: string): T | undefined {
  const f = faults.get(cpf);
  if (f && --f.left <= 0) faults.delete(cpf);
  return f;
}
