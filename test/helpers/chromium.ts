// Debian's Chromium, driven by playwright-core, with a fresh profile that
// is removed after the test.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium (t: TestContext): Promise<BrowserContext> {
  const profile = await mkdtemp(join(tmpdir(), 'sessiond-chromium-'))
  // Playwright adds --headless and --user-data-dir itself (headless, the profile directory).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.after(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })
  return context
}
