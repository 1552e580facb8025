import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';

/** Debian's Chromium, driven by playwright-core (`.ci/run` installs it). */
export const CHROMIUM = process.env.VINCULO_CHROMIUM || '/usr/bin/chromium';

const missing = !existsSync(CHROMIUM);
let reported = false;

/**
 * A suite that drives Chromium, declared only when it is installed. Without it the first such
 * suite reports one skip for them all, saying how to install it, and the others declare nothing.
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (!missing) {
    describe(name, fn);
    return;
  }
  if (reported) return;
  reported = true;
  process.stdout.write(`# browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`);
  describe('browser suites', () => it.skip(`skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`));
}
