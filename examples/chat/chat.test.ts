import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startDaemon } from '../../test/helpers/daemon.ts'
import { CHROMIUM, launchBrowser } from '../../scripts/browser.ts'

// The chat example in a real browser: the page keeps a WebSocket to its
// session's worker, which hibernates while the page stays connected and
// resumes on the next message, with its history; logging out closes it.

const HANDLER = fileURLToPath(new URL('./handler.ts', import.meta.url))
/** What the page keeps of its socket, on window.chat. */
interface ChatState { opened: number, worker: string | null, resumed: boolean, closed: number | null }
const chat = () => (window as unknown as { chat: ChatState }).chat

const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? 'needs Debian\'s chromium (apt-get install chromium)' : false

test('in Chromium: the chat page connects, exchanges messages, survives its worker\'s hibernation, and closes on logout', { skip, timeout: 120_000 }, async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'chat', mount: '/chat', handler: HANDLER, socketIdleTimeout: '800ms' }] })
  const chromium = await launchBrowser()
  t.after(() => chromium.close())
  const browser = await chromium.context()
  const page = await browser.newPage()
  await page.goto(`${d.url}/chat/`)
  // Redirected to the login form; after it, back to the chat.
  await page.fill('#username', 'alice')
  await page.fill('#password', 'alice-password')
  await Promise.all([page.waitForURL(`${d.url}/chat/`), page.click('button[type=submit]')])
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('connected as'))
  await page.fill('#text', 'first message')
  await page.press('#text', 'Enter')
  await page.waitForSelector('li:has-text("alice (tab 1): first message")')
  const before = await page.evaluate(chat)

  // Nobody types: the worker hibernates, the page stays connected.
  await page.waitForTimeout(3000)
  await page.fill('#text', 'after hibernation')
  await page.press('#text', 'Enter')
  await page.waitForSelector('li:has-text("alice (tab 1): after hibernation")')
  const after = await page.evaluate(chat)
  assert.equal(after.resumed, true, 'a resumed worker answered')
  assert.notEqual(after.worker, before.worker, 'another worker than before')
  assert.equal(after.opened, 1, 'the page never reconnected')
  assert.equal(after.closed, null)

  // A second tab of the session sees the history the first worker hibernated with.
  const tab = await browser.newPage()
  await tab.goto(`${d.url}/chat/`)
  await tab.waitForSelector('li:has-text("first message")')
  await tab.waitForSelector('li:has-text("after hibernation")')

  // Logging out (same-origin, from the page) closes the page's socket with 1008.
  const status = await page.evaluate(() => fetch('/logout', { method: 'POST' }).then(r => r.status))
  assert.equal(status, 200)
  await page.waitForFunction(() => (window as unknown as { chat: ChatState }).chat.closed !== null)
  assert.equal(await page.evaluate(() => (window as unknown as { chat: ChatState }).chat.closed), 1008)
  assert.match(await page.textContent('#status') ?? '', /closed \(1008/)
})
