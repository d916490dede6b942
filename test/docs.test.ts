// What the documentation promises, checked against the code: the README and
// docs/ stand alone in a clone (every relative link resolves inside it), and
// the line protocol's reference in docs/store.md names commands the server
// knows, with a transcript that a real listener answers as written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { LineProtocolListener, MemoryStore } from '@sessiond/session-store'
import { lineClient } from '../packages/session-store/test/line-client.ts'
import { ROOT } from './helpers/daemon.ts'

function markdownFiles (): string[] {
  const docs = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? docs(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [])
  return [join(ROOT, 'README.md'), ...docs(join(ROOT, 'docs')), ...readdirSync(join(ROOT, 'examples')).map(e => join(ROOT, 'examples', e, 'README.md')).filter(existsSync)]
}

test('every relative link and image in the README and docs/ points at a file in the repository', () => {
  const broken: string[] = []
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8')
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:|^#/.test(target)) continue
      const path = resolve(dirname(file), target.split('#')[0])
      if (!path.startsWith(ROOT) || !existsSync(path)) broken.push(`${relative(ROOT, file)}: ${target}`)
    }
    if (/\.\.\/shared\//.test(text)) broken.push(`${relative(ROOT, file)}: mentions ../shared/, which a clone does not have`)
  }
  assert.deepEqual(broken, [])
})

test('docs/store.md documents the line protocol: each command it lists is one the server knows, and its transcript replays', async (t) => {
  const doc = readFileSync(join(ROOT, 'docs/store.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## The line protocol'), doc.indexOf('## The end of a session'))
  assert.ok(section.length > 1000, 'a line protocol section')
  const store = new MemoryStore()
  const listener = await LineProtocolListener.listen(store)
  const c = await lineClient(listener.address.port)
  t.after(async () => {
    c.socket.destroy()
    await listener.close()
    await store.close()
  })
  const commands = [...section.matchAll(/^\| `([a-z_]+)[ `]/gm)].map(m => m[1])
  assert.deepEqual([...new Set(commands)].sort(), ['close', 'commit', 'destroy', 'exists', 'get', 'get_all', 'keys', 'new', 'open', 'put', 'put_all', 'regenerate_id', 'remove'])
  for (const command of new Set(commands)) assert.notEqual(await c.send(command), 'err unknown command', command)

  const transcript = section.slice(section.indexOf('A transcript'))
  const lines = [...transcript.matchAll(/^([<>]) (.*)$/gm)].map(m => [m[1], m[2]])
  assert.ok(lines.length >= 6)
  for (let i = 0; i < lines.length; i += 2) {
    const [[, sent], [, expected]] = [lines[i], lines[i + 1]]
    const got = await c.send(sent)
    // An id is shown shortened (3f5c…e1): any 64 hex digits stand for it.
    if (expected.includes('…')) assert.match(got, new RegExp('^' + expected.replace(/[0-9a-f]*…[0-9a-f]*/, '[0-9a-f]{64}') + '$'), sent)
    else assert.equal(got, expected, sent)
  }
})
