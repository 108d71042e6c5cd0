import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Debian's headless Chromium (package `chromium`, never a browser Playwright downloads), driven by
 * playwright-core, for the jobs page's tests and `npm run screenshot`. It starts with background networking,
 * component updates and sync off, and a fresh profile, so nothing it does leaves 127.0.0.1. Not shipped.
 */
export const CHROMIUM = process.env.STEPWAIT_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface LocalChromium {
  readonly browser: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** @throws Error naming the Debian package when there is no Chromium at CHROMIUM */
export async function launchChromium(viewport?: { width: number; height: number }): Promise<LocalChromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'stepwait-chromium-'));
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      ...(viewport === undefined ? {} : { viewport }),
    });
    return {
      browser,
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
