import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { preflightHandlers } from '../src/handler-preflight.ts'

async function handlers (t: import('node:test').TestContext, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-preflight-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text.replaceAll('DIR', dir))
  return { dir, url: (name: string) => pathToFileURL(join(dir, name)).href }
}

test('links a handler\'s whole module graph without running any of it', async (t) => {
  const { dir, url } = await handlers(t, {
    'handler.ts': "import { mark } from './dep.ts'\nimport { writeFileSync } from 'node:fs'\nwriteFileSync('DIR/ran', 'handler')\nexport default { fetch: () => new Response(mark) }\n",
    'dep.ts': "import { writeFileSync } from 'node:fs'\nwriteFileSync('DIR/ran', 'dep')\nexport const mark: string = 'x'\n"
  })
  assert.deepEqual(await preflightHandlers([{ name: 'app', handler: url('handler.ts') }]), [])
  await assert.rejects(readFile(join(dir, 'ran')), { code: 'ENOENT' }, 'neither the handler nor its import ran')
})

test('names the realm, the handler and the module that does not resolve, however deep, and a syntax error', async (t) => {
  const { dir, url } = await handlers(t, {
    'handler.ts': "import './middle.ts'\nexport default { fetch: () => new Response('') }\n",
    'middle.ts': "import 'left-pad-that-is-not-installed'\n",
    'broken.ts': 'export default {\n'
  })
  const problems = await preflightHandlers([
    { name: 'deep', handler: url('handler.ts') },
    { name: 'syntax', handler: url('broken.ts') },
    { name: 'exec-realm' }
  ])
  assert.equal(problems.length, 2)
  assert.deepEqual([problems[0].realm, problems[0].file, problems[0].code], ['deep', join(dir, 'handler.ts'), 'ERR_MODULE_NOT_FOUND'])
  assert.match(problems[0].message, new RegExp(`Cannot find package 'left-pad-that-is-not-installed' imported from ${join(dir, 'middle.ts')}`))
  assert.equal(problems[1].realm, 'syntax')
})

test('with evaluate (sessiond check) runs handlers without runAs and checks that they export one', async (t) => {
  const { url } = await handlers(t, {
    'good.ts': 'export default { fetch: () => new Response(\'\') }\n',
    'none.ts': 'export const nothing = 1\n',
    'throws.ts': "throw new Error('boom at load')\n"
  })
  const problems = await preflightHandlers([
    { name: 'good', handler: url('good.ts') },
    { name: 'none', handler: url('none.ts') },
    { name: 'throws', handler: url('throws.ts') },
    { name: 'as-user', handler: url('throws.ts'), runAs: 'session-user' }
  ], { evaluate: true })
  assert.deepEqual(problems.map(p => [p.realm, p.message]), [
    ['none', 'no default export with fetch(request, ctx): export default defineHandler({ fetch … })'],
    ['throws', 'boom at load']
  ])
})
