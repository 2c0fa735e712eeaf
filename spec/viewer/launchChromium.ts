import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's chromium package puts the browser; CHROMIUM names another. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Debian's Chromium, headless, driven by playwright-core. Without it the browser tests FAIL (never skip): .ci/run
 * installs it with apt-get.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = [process.env['CHROMIUM'], ...CANDIDATES].find((p) => p !== undefined && p !== '' && existsSync(p));
  if (executablePath === undefined) {
    throw new Error(`no Chromium at ${CANDIDATES.join(' or ')} (nor $CHROMIUM): the viewer's browser tests need Debian's chromium — install it with \`apt-get install -y chromium\` (.ci/run does)`);
  }
  // --no-sandbox: CI and the developers' machines run as root, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
