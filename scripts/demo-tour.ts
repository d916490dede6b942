// A person's first visit to the demo, in a real browser: log in from the
// redirect, count, add a note, look at the process realm, go home, log out.
// test/demo-pages.test.ts asserts on it; scripts/screenshots.ts keeps its
// pictures for the README. Each step answers what a person would read there.
import type { Page } from 'playwright-core'

export interface TourStep { name: string, png: Buffer }

export interface TourResult {
  counts: number[]
  workerId: string
  counterNote: string
  notes: string[]
  account: string
  whoamiPid: number
  afterLogout: string
  shots: TourStep[]
}

export async function demoTour (page: Page, url: string, login: { user: string, password: string }): Promise<TourResult> {
  const shots: TourStep[] = []
  const shoot = async (name: string) => { shots.push({ name, png: await page.screenshot({ fullPage: true }) }) }

  await page.goto(url + '/counter/')
  await page.waitForURL(/\/login\?next=/)
  await page.fill('#username', login.user)
  await page.fill('#password', login.password)
  await shoot('login')
  await Promise.all([page.waitForURL(url + '/counter/'), page.click('button[type=submit]')])
  const counts = [Number(await page.textContent('#count'))]
  await Promise.all([page.waitForLoadState('load'), page.click('#again')])
  counts.push(Number(await page.textContent('#count')))
  const workerId = (await page.textContent('#worker-id'))!.trim()
  const counterNote = (await page.textContent('#resumed'))!.trim()
  await shoot('counter')

  await page.goto(url + '/notes/')
  for (const text of ['buy milk', 'call the plumber']) {
    await page.fill('input[name=text]', text)
    await Promise.all([page.waitForURL(url + '/notes/'), page.click('input[type=submit]')])
  }
  const notes = (await page.locator('#notes li').allTextContents()).map(t => t.replace(/×\s*$/, '').trim())
  await shoot('notes')

  await page.goto(url + '/whoami/')
  const account = (await page.textContent('#account'))!.replace(/\s+/g, ' ').trim()
  const whoamiPid = Number((await page.textContent('#pid'))!.split(' ')[0])
  await shoot('whoami')

  await Promise.all([page.waitForURL(url + '/'), page.click('nav a[href="../"]')])
  await shoot('home')
  await page.goto(url + '/counter/')
  await Promise.all([page.waitForURL(/\/login$/), page.click('#logout')])
  await page.goto(url + '/counter/')
  return { counts, workerId, counterNote, notes, account, whoamiPid, afterLogout: page.url(), shots }
}
