import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfig } from '../src/config.ts'

/** A tmp dir holding a handler module, and a writer for config files in it. */
async function workspace (t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'handler.ts'), 'export default { fetch: () => new Response("hi") }\n')
  const write = async (name: string, text: string) => {
    const file = join(dir, name)
    await writeFile(file, text)
    return file
  }
  return { dir, write }
}

/** Fails the test unless loadConfig throws GW_ERR_CONFIG; answers the message. */
function configError (file: string, overrides = {}): string {
  try {
    loadConfig(file, overrides)
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'GW_ERR_CONFIG', String(err))
    return (err as Error).message
  }
  assert.fail(`${file} loaded without an error`)
}

const oneRealm = 'realms:\n  - name: notes\n    mount: /notes\n    handler: ./handler.ts\n'

test('defaults fill in what the file leaves out', async (t) => {
  const { dir, write } = await workspace(t)
  const cfg = loadConfig(await write('sessiond.yaml', oneRealm))
  assert.equal(cfg.listen, '127.0.0.1:8080')
  assert.equal(cfg.host, '127.0.0.1')
  assert.equal(cfg.port, 8080)
  assert.equal(cfg.store.kind, 'sqlite')
  assert.equal(cfg.log.level, 'info')
  assert.equal(cfg.session.maxAge, 12 * 3_600_000)
  assert.equal(cfg.file, join(dir, 'sessiond.yaml'))
  assert.equal(cfg.dataDir, resolve('.sessiond'))
  assert.equal(cfg.users.file, join(cfg.dataDir, 'users.json'))
  const [realm] = cfg.realms
  assert.equal(realm.kind, 'thread')
  assert.equal(realm.auth, 'required')
  assert.equal(realm.idleTimeout, 15 * 60_000)
  assert.equal(realm.startTimeout, 10_000)
  assert.equal(realm.stopTimeout, 5000)
})

test('durations decode to milliseconds from units or plain numbers', async (t) => {
  const { write } = await workspace(t)
  const cfg = loadConfig(await write('sessiond.yaml', `${oneRealm}    idleTimeout: 2s\n    startTimeout: 1.5m\n    stopTimeout: 250\nsession:\n  maxAge: 7d\n`))
  assert.equal(cfg.realms[0].idleTimeout, 2000)
  assert.equal(cfg.realms[0].startTimeout, 90_000)
  assert.equal(cfg.realms[0].stopTimeout, 250)
  assert.equal(cfg.session.maxAge, 7 * 86_400_000)
})

test('a JSON file loads the same way', async (t) => {
  const { write } = await workspace(t)
  const file = await write('sessiond.json', JSON.stringify({
    listen: '[::1]:9090',
    store: { kind: 'memory' },
    realms: [{ name: 'notes', mount: '/notes', handler: 'handler.ts', idleTimeout: '30s', auth: 'anonymous' }]
  }))
  const cfg = loadConfig(file)
  assert.equal(cfg.host, '::1')
  assert.equal(cfg.port, 9090)
  assert.equal(cfg.store.kind, 'memory')
  assert.equal(cfg.realms[0].idleTimeout, 30_000)
  assert.equal(cfg.realms[0].auth, 'anonymous')
})

test('every problem is reported at once with the file, its path and what was expected', async (t) => {
  const { write } = await workspace(t)
  const file = await write('bad.yaml', [
    'listen: nowhere',
    'colour: blue',
    'log:',
    '  level: loud',
    'realms:',
    '  - name: a',
    '    mount: /a',
    '    handler: ./handler.ts',
    '    kind: fork',
    '    port: 3000',
    '  - name: b',
    '    mount: no-slash',
    '    handler: ./handler.ts',
    '    idleTimeout: soon',
    '  - mount: /c',
    '    handler: ./handler.ts',
    ''
  ].join('\n'))
  const message = configError(file)
  const lines = message.split('\n')
  assert.ok(lines[0].includes(file), lines[0])
  const issues = lines.slice(1).map(l => l.trim()).sort()
  assert.equal(issues.length, 8, message)
  assert.deepEqual(issues.map(l => l.split(':')[0]), [
    '/colour', '/listen', '/log/level', '/realms/0/kind', '/realms/0/port', '/realms/1/idleTimeout', '/realms/1/mount', '/realms/2/name'
  ])
  assert.ok(issues.includes('/colour: unknown key'))
  assert.ok(issues.includes('/realms/0/port: unknown key'))
  assert.ok(issues.includes('/listen: expected HOST:PORT, got "nowhere"'))
  assert.ok(issues.includes('/realms/0/kind: expected one of "context", "thread", "process", "exec", got "fork"'))
  assert.match(message, /\/log\/level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"/)
  assert.match(message, /\/realms\/1\/mount: expected a path prefix such as \/notes.*, got "no-slash"/)
  assert.match(message, /\/realms\/1\/idleTimeout: expected a duration.*, got "soon"/)
  assert.match(message, /\/realms\/2\/name: expected a lower-case name.*, got nothing/)
})

test('realm names and mounts must be unique and stay off the gateway\'s own paths', async (t) => {
  const { write } = await workspace(t)
  const file = await write('dup.yaml', [
    'realms:',
    '  - { name: a, mount: /a, handler: ./handler.ts }',
    '  - { name: a, mount: /b, handler: ./handler.ts }',
    '  - { name: c, mount: /a, handler: ./handler.ts }',
    '  - { name: d, mount: /login, handler: ./handler.ts }',
    '  - { name: e, mount: /_sessiond/admin, handler: ./handler.ts }',
    '  - { name: f, mount: /loginx, handler: ./handler.ts }',
    ''
  ].join('\n'))
  const message = configError(file)
  assert.ok(message.includes(file))
  assert.match(message, /\/realms\/1\/name: expected a unique name, got "a" twice/)
  assert.match(message, /\/realms\/2\/mount: expected a unique mount, got "\/a" twice/)
  assert.match(message, /\/realms\/3\/mount: expected a path outside .*\/login.*, got "\/login"/)
  assert.match(message, /\/realms\/4\/mount: expected a path outside .*, got "\/_sessiond\/admin"/)
  assert.doesNotMatch(message, /\/realms\/5\//, '/loginx is not under /login')
})

test('a handler file that does not exist is reported with the path it resolved to', async (t) => {
  const { dir, write } = await workspace(t)
  const file = await write('sessiond.yaml', 'realms:\n  - { name: a, mount: /a, handler: ./nope.ts }\n')
  const message = configError(file)
  assert.ok(message.includes(`/realms/0/handler: expected an existing module, got "./nope.ts" (${join(dir, 'nope.ts')})`), message)
})

test('an unparsable file, a file that is not a mapping and a missing file are config errors', async (t) => {
  const { dir, write } = await workspace(t)
  const broken = await write('broken.yaml', 'realms: [\n  - name: a\n')
  assert.ok(configError(broken).includes(broken))
  const list = await write('list.yaml', '- a\n- b\n')
  assert.match(configError(list), /\/: expected a mapping/)
  const dupKey = await write('dupkey.yaml', 'listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n')
  assert.ok(configError(dupKey).includes(dupKey))
  const missing = join(dir, 'missing.yaml')
  assert.ok(configError(missing).includes(missing))
})

test('a port past 65535 is rejected', async (t) => {
  const { write } = await workspace(t)
  const message = configError(await write('sessiond.yaml', 'listen: 127.0.0.1:70000\n'))
  assert.match(message, /\/listen: expected a port from 0 to 65535, got 70000/)
})

test('overrides for listen and dataDir win over the file', async (t) => {
  const { dir, write } = await workspace(t)
  const file = await write('sessiond.yaml', 'listen: 0.0.0.0:80\ndataDir: ./from-file\n')
  assert.equal(loadConfig(file).dataDir, join(dir, 'from-file'), 'a dataDir in the file is relative to the file')
  const cfg = loadConfig(file, { listen: '127.0.0.1:0', dataDir: 'from-flag' })
  assert.equal(cfg.listen, '127.0.0.1:0')
  assert.equal(cfg.port, 0)
  assert.equal(cfg.dataDir, resolve('from-flag'), 'an override is relative to the working directory')
  assert.match(configError(file, { listen: 'not a listen address' }), /\/listen: expected HOST:PORT/)
})

test('handler paths resolve against the config file\'s directory and become file URLs', async (t) => {
  const { dir, write } = await workspace(t)
  await mkdir(join(dir, 'conf'))
  const absolute = join(dir, 'handler.ts')
  const file = await write(join('conf', 'sessiond.yaml'), [
    'realms:',
    '  - { name: rel, mount: /rel, handler: ../handler.ts }',
    `  - { name: abs, mount: /abs, handler: ${JSON.stringify(absolute)} }`,
    ''
  ].join('\n'))
  const cfg = loadConfig(file)
  const url = pathToFileURL(absolute).href
  assert.equal(cfg.realms[0].handler, url)
  assert.equal(cfg.realms[1].handler, url)
  assert.ok(url.startsWith('file://'))
})

test('the loaded config is frozen all the way down', async (t) => {
  const { write } = await workspace(t)
  const cfg = loadConfig(await write('sessiond.yaml', oneRealm))
  assert.ok(Object.isFrozen(cfg))
  assert.ok(Object.isFrozen(cfg.realms))
  assert.ok(Object.isFrozen(cfg.realms[0]))
  assert.ok(Object.isFrozen(cfg.users))
  assert.throws(() => { (cfg as { port: number }).port = 1 }, TypeError)
  assert.throws(() => { (cfg.realms as unknown[]).push({}) }, TypeError)
})

test('edge limits have real defaults and take units', async (t) => {
  const { write } = await workspace(t)
  const cfg = loadConfig(await write('sessiond.yaml', `${oneRealm}    bodyLimit: 64KiB\nlimits:\n  headersTimeout: 5s\n  maxHeaderSize: 8KiB\n`))
  assert.equal(cfg.realms[0].bodyLimit, 65_536)
  assert.equal(cfg.limits.bodyLimit, 10 * 1024 * 1024)
  assert.equal(cfg.limits.headersTimeout, 5000)
  assert.equal(cfg.limits.maxHeaderSize, 8192)
  assert.ok(cfg.limits.requestTimeout > 0, 'a request timeout, unlike Fastify\'s default of none')
  assert.ok(cfg.limits.keepAliveTimeout > 0 && cfg.limits.maxConnections > 0)
})

test('a headers timeout longer than the request timeout is refused', async (t) => {
  const { write } = await workspace(t)
  const msg = configError(await write('sessiond.yaml', `${oneRealm}limits:\n  headersTimeout: 2m\n  requestTimeout: 1m\n  bodyLimit: lots\n`))
  assert.match(msg, /\/limits\/bodyLimit: expected a size/)
  const only = configError(await write('b.yaml', `${oneRealm}limits:\n  headersTimeout: 2m\n  requestTimeout: 1m\n`))
  assert.match(only, /\/limits\/headersTimeout: expected at most requestTimeout/)
})

test('front-server settings: basePath, auth mode header, httpRedirect', async (t) => {
  const { write } = await workspace(t)
  const plain = loadConfig(await write('plain.yaml', oneRealm))
  assert.deepEqual(plain.auth, { mode: 'form', header: 'x-remote-user' })
  assert.equal(plain.basePath, undefined)
  assert.ok('basePath' in plain, 'every loaded config has the same keys')
  assert.equal(plain.httpRedirect, undefined)
  const cfg = loadConfig(await write('front.yaml', `${oneRealm}basePath: /apps\ntrustProxy: [127.0.0.1]\nauth: { mode: header, header: X-Remote-User }\ntls: { cert: c.pem, key: k.pem }\nhttpRedirect: { listen: '0.0.0.0:80' }\n`))
  assert.equal(cfg.basePath, '/apps')
  assert.deepEqual(cfg.auth, { mode: 'header', header: 'x-remote-user' })
  assert.deepEqual(cfg.httpRedirect, { listen: '0.0.0.0:80', host: '0.0.0.0', port: 80, status: 308 })
})

test('front-server settings that cannot work are refused, each with its path', async (t) => {
  const { write } = await workspace(t)
  const msg = configError(await write('bad.yaml', `${oneRealm}basePath: /apps/\nauth: { mode: header, header: Cookie }\nhttpRedirect: { listen: ':80', status: 302, origin: 'http://x' }\n`))
  assert.match(msg, /\/basePath: expected a path prefix such as \/apps, without a trailing slash, got "\/apps\/"/)
  assert.match(msg, /\/httpRedirect\/listen: expected HOST:PORT/)
  assert.match(msg, /\/httpRedirect\/status: expected one of 301, 308, got 302/)
  assert.match(msg, /\/httpRedirect\/origin: expected an https:\/\/ origin/)
  const header = configError(await write('header.yaml', `${oneRealm}auth: { mode: header, header: Cookie }\nhttpRedirect: { listen: '0.0.0.0:80' }\n`))
  assert.match(header, /\/trustProxy: expected the front server's address when auth.mode is header/)
  assert.match(header, /\/auth\/header: expected a header of the front server's own/)
  assert.match(header, /\/httpRedirect: expected tls to be set too/)
})
