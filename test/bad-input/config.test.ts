import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LAB } from '../helpers/daemon.ts'
import { runCli } from '../helpers/run-cli.ts'

// A bad config stops start-up with exit code 78 (EX_CONFIG) and a message naming the path.
const realm = { name: 'lab', mount: '/lab', handler: LAB }
const cases: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a port past 65535', { listen: '127.0.0.1:70000' }, /\/listen/],
  ['a mount with a dot-dot', { realms: [{ ...realm, mount: '/lab/..' }] }, /\/realms\/0\/mount/],
  ['a mount that is one dot', { realms: [{ ...realm, mount: '/.' }] }, /\/realms\/0\/mount/],
  ['a body limit that is not a size', { limits: { bodyLimit: 'lots' } }, /\/limits\/bodyLimit/],
  ['a negative body limit', { limits: { bodyLimit: -1 } }, /\/limits\/bodyLimit/],
  ['a header size of a huge string', { limits: { maxHeaderSize: 'x'.repeat(100_000) } }, /\/limits\/maxHeaderSize/],
  ['a headers timeout longer than the request timeout', { limits: { headersTimeout: '10m', requestTimeout: '1m' } }, /\/limits\/headersTimeout/],
  ['a proxy that is not an address', { trustProxy: ['proxy.example'] }, /\/trustProxy\/0/],
  ['a realm name of 200 characters', { realms: [{ ...realm, name: 'a'.repeat(200) }] }, /\/realms\/0\/name/],
  ['a CSP policy over two lines', { realms: [{ ...realm, csp: { policy: "default-src 'self'\r\nX-Injected: 1" } }] }, /\/realms\/0\/csp\/policy/],
  ['login attempts of zero', { login: { attemptsPerUser: 0 } }, /\/login\/attemptsPerUser/]
]

test('oversized and malformed config values stop start-up with exit code 78, naming the path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-badcfg-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const [name, extra, where] of cases) {
    await t.test(name, async () => {
      const file = join(dir, 'bad.json')
      await writeFile(file, JSON.stringify({ realms: [realm], ...extra }))
      // A config that wrongly starts must fail this case, not hang it.
      const { code, output: out } = await runCli(['start', '--config', file, ...('listen' in extra ? [] : ['--listen', '127.0.0.1:0']), '--data', join(dir, 'data')], { killAfterMs: 10_000 })
      assert.equal(code, 78, out)
      assert.match(out, where)
      assert.ok(out.length < 4000, 'an oversized value is not echoed whole')
    })
  }
})
