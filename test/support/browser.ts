/** Headless Debian Chromium driven by playwright-core (never a downloaded browser). */
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { requireBinary } from './proc.js';

/** Launches /usr/bin/chromium headless, or skips loudly (fails under E2E_REQUIRED=1) when it is missing. */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  const bin = requireBinary(t, 'chromium');
  if (bin === undefined) return undefined;
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from calling home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
