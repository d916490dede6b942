// An operator's look at the admin page, in a real browser: log in from the
// redirect, see the workers of two users appear (live, by server-sent
// events), hibernate one and stop the other behind the page's confirmation,
// and watch their rows change. test/admin-page.test.ts asserts on it;
// scripts/screenshots.ts keeps its picture for docs/admin.md.
import type { Page } from 'playwright-core'

export interface AdminTourResult {
  /** The users whose worker rows appeared without a reload. */
  appeared: string[]
  /** The hibernated row's state cell after the action. */
  hibernatedState: string
  /** Whether the stopped worker's row went away. */
  stoppedGone: boolean
  /** What the page said after the stop. */
  message: string
  /** Confirmations the page asked for. */
  confirmations: string[]
  png: Buffer
}

/**
 * `startWorkers` runs once the page is open: it makes the workers that must
 * appear (two users' requests from outside the browser).
 */
export interface Slot { user: string, realm: string }

export async function adminTour (page: Page, url: string, admin: { user: string, password: string }, startWorkers: () => Promise<[hibernate: Slot, stop: Slot]>): Promise<AdminTourResult> {
  const confirmations: string[] = []
  page.on('dialog', (dialog) => {
    confirmations.push(dialog.message())
    void dialog.accept()
  })
  await page.goto(url + '/_sessiond/admin/')
  await page.waitForURL(/\/login\?next=/)
  await page.fill('#username', admin.user)
  await page.fill('#password', admin.password)
  await Promise.all([page.waitForURL(url + '/_sessiond/admin/'), page.click('button[type=submit]')])
  await page.waitForSelector('#updated:not(:text("connecting…"))')
  const slots = await startWorkers()
  const row = ({ user, realm }: Slot) => `#workers-body tr[data-user="${user}"][data-realm="${realm}"]`
  for (const s of slots) await page.waitForSelector(`${row(s)} .state-ready`)
  const appeared = [...new Set(await page.locator('#workers-body tr[data-user]').evaluateAll(rows => rows.map(r => (r as HTMLElement).dataset.user!)))]
  const [first, second] = slots
  await page.click(`${row(first)} button[data-action="hibernate"]`)
  await page.waitForSelector(`${row(first)} .state-hibernated`)
  const hibernatedState = (await page.textContent(`${row(first)} .state`))!.trim()
  await page.click(`${row(second)} button[data-action="stop"]`)
  await page.waitForSelector(row(second), { state: 'detached' })
  const stoppedGone = await page.locator(row(second)).count() === 0
  const message = (await page.textContent('#message'))!.trim()
  const png = await page.screenshot({ fullPage: true })
  return { appeared, hibernatedState, stoppedGone, message, confirmations, png }
}
