import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from './helpers/run-cli.ts'

const sessiond = (args: string[], stdin: string) => runCli(args, { stdin })

test('user add hashes a password read from stdin into a 0600 users file, and refuses duplicates', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-user-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const added = await sessiond(['user', 'add', 'carol', '--password-stdin', '--data', dir], 'carol-password\n')
  assert.equal(added.code, 0, added.output)
  const file = join(dir, 'users.json')
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  const text = await readFile(file, 'utf8')
  assert.doesNotMatch(text, /carol-password/)
  assert.match(JSON.parse(text).users.carol.password, /^\$scrypt\$ln=17,r=8,p=1\$/)

  const again = await sessiond(['user', 'add', 'carol', '--password-stdin', '--data', dir], 'another-password\n')
  assert.notEqual(again.code, 0)
  assert.match(again.output, /already exists/)
  const replaced = await sessiond(['user', 'add', 'carol', '--password-stdin', '--replace', '--data', dir], 'another-password\n')
  assert.equal(replaced.code, 0, replaced.output)
})

test('user add refuses a password on the command line and bad names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-user-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const noStdin = await sessiond(['user', 'add', 'dave', '--data', dir], '')
  assert.notEqual(noStdin.code, 0)
  assert.match(noStdin.output, /--password-stdin is required/)
  const badName = await sessiond(['user', 'add', '../root', '--password-stdin', '--data', dir], 'long-enough-password\n')
  assert.notEqual(badName.code, 0)
  assert.match(badName.output, /user names are/)
  const short = await sessiond(['user', 'add', 'dave', '--password-stdin', '--data', dir], 'short\n')
  assert.notEqual(short.code, 0)
  assert.match(short.output, /passwords are 8 to 1024 bytes/)
})
