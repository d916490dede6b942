// Debian's chromium driven by playwright-core (no browser download: the
// system's binary), with a fresh profile each launch. Used by
// test/demo-pages.test.ts and scripts/screenshots.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** What headless chromium needs here: no sandbox (root, containers), no GPU, nothing phoning home. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Browser {
  /** A new browser with a profile of its own: its own cookies, so its own session. */
  context (): Promise<BrowserContext>
  close (): Promise<void>
}

/** One chromium per context (a persistent context is one profile directory, made fresh here). */
export async function launchBrowser (): Promise<Browser> {
  const opened: Array<{ context: BrowserContext, dir: string }> = []
  return {
    async context () {
      const dir = await mkdtemp(join(tmpdir(), 'sessiond-chromium-'))
      // --headless and --user-data-dir are playwright's to pass: headless: true and the directory argument.
      const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 960, height: 640 } })
      opened.push({ context, dir })
      return context
    },
    async close () {
      for (const { context, dir } of opened) {
        await context.close()
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
}
