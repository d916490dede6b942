// The README's screenshots: the demo (examples/demo.yaml) served by a fresh
// daemon, visited by Debian's chromium (scripts/demo-tour.ts), each step kept
// as docs/screenshots/<step>.png; then the admin page as an operator sees it
// (scripts/admin-tour.ts), as docs/screenshots/admin.png.
//
//   node scripts/toolchain.mjs screenshots
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { launchBrowser } from './browser.ts'
import { demoTour } from './demo-tour.ts'
import { adminTour } from './admin-tour.ts'
import { UsersFile } from '../packages/gateway/src/users-file.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'docs', 'screenshots')
const data = await mkdtemp(join(tmpdir(), 'sessiond-screenshots-'))
// An operator in the admin group, and a second user whose worker shows beside the demo user's.
const users = new UsersFile(join(data, 'users.json'))
await users.add('operator', 'operator-password')
await users.setGroups('operator', ['admin'])
await users.add('guest', 'guest-password')
const daemon = spawn(process.execPath, [join(root, 'packages/gateway/src/cli/main.ts'), 'start', '--config', join(root, 'examples/demo.yaml'), '--listen', '127.0.0.1:0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] })
let url = ''
let login = { user: '', password: '' }
for await (const line of createInterface({ input: daemon.stdout! })) {
  url ||= /^sessiond listening on (\S+)$/.exec(line)?.[1] ?? ''
  const demo = /^demo login: (\S+) (\S+)$/.exec(line)
  if (demo) login = { user: demo[1], password: demo[2] }
  if (url && login.user) break
}
const browser = await launchBrowser()
try {
  const tour = await demoTour(await (await browser.context()).newPage(), url, login)
  const asUser = async (user: string, password: string) => {
    const res = await fetch(url + '/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) })
    const cookie = res.headers.getSetCookie().find(c => c.startsWith('sessiond='))!.split(';')[0]
    for (const realm of ['counter', 'notes', 'whoami']) await fetch(`${url}/${realm}/`, { headers: { cookie } })
  }
  const admin = await adminTour(await (await browser.context()).newPage(), url, { user: 'operator', password: 'operator-password' }, async () => {
    await asUser(login.user, login.password)
    await asUser('guest', 'guest-password')
    return [{ user: login.user, realm: 'counter' }, { user: 'guest', realm: 'notes' }]
  })
  tour.shots.push({ name: 'admin', png: admin.png })
  await mkdir(out, { recursive: true })
  for (const { name, png } of tour.shots) {
    await writeFile(join(out, `${name}.png`), png)
    process.stdout.write(`docs/screenshots/${name}.png\n`)
  }
} finally {
  await browser.close()
  daemon.kill('SIGTERM')
  await once(daemon, 'exit')
  await rm(data, { recursive: true, force: true })
}
