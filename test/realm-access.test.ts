import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getJson, startDaemon } from './helpers/daemon.ts'

async function setGroups (dataDir: string, groups: Record<string, string[]>) {
  const file = join(dataDir, 'users.json')
  const data = JSON.parse(await readFile(file, 'utf8'))
  for (const [user, g] of Object.entries(groups)) data.users[user].groups = g
  await writeFile(file, JSON.stringify(data), { mode: 0o600 })
}

test('a realm with allow rules answers 403 to everyone else, and group changes apply at once', async (t) => {
  const d = await startDaemon(t, {
    users: { alice: 'alice-password', bob: 'bob-password', carol: 'carol-password' },
    realms: [{ name: 'team', mount: '/team', allow: { users: ['alice'], groups: ['staff'] } }, { name: 'lab', mount: '/lab' }]
  })
  await setGroups(d.dataDir, { carol: ['staff'], bob: ['guests'] })
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  const carol = await d.login('carol', 'carol-password')
  assert.equal((await getJson(d.url + '/team/count', alice)).status, 200, 'listed by name')
  assert.equal((await getJson(d.url + '/team/count', carol)).status, 200, 'a member of an allowed group')
  const denied = await getJson(d.url + '/team/count', bob)
  assert.equal(denied.status, 403)
  assert.equal(denied.body.error, 'GW_ERR_FORBIDDEN')
  assert.equal((await getJson(d.url + '/lab/count', bob)).status, 200, 'other realms are open to bob')
  assert.equal((await getJson(d.url + '/team/count')).status, 401, 'no session is still a 401')
  await setGroups(d.dataDir, { carol: [] })
  assert.equal((await getJson(d.url + '/team/count', carol)).status, 403, 'out of the group, out of the realm')
})
