// The files `sessiond init DIR` writes: a realm a newcomer starts, tests and
// type-checks as it is, then makes their own. Kept as strings so that the
// installed package (dist/ only) carries them.

export interface Scaffold {
  /** The realm's name and mount: the directory's name, made a valid realm name. */
  name: string
  /** The directory of the @sessiond/worker-sdk this sessiond runs with. */
  sdkDir: string
}

export function scaffoldFiles ({ name, sdkDir }: Scaffold): Record<string, string> {
  return {
    'handler.ts': `// The realm's handler: every session gets its own worker running this
// module, so \`visits\` below counts one session's requests, in memory.
import { defineHandler } from '@sessiond/worker-sdk'

let visits = 0

export default defineHandler({
  fetch (request, ctx) {
    visits++
    const { pathname } = new URL(request.url)
    return Response.json({ realm: ctx.realm, user: ctx.user, visits, path: pathname })
  },

  // Before an idle stop: the state is saved in the session store...
  hibernate () {
    return { visits }
  },

  // ...and the session's next worker starts from it.
  resume (state) {
    visits = (state as { visits?: number } | undefined)?.visits ?? 0
  }
})
`,
    'handler.test.ts': `// Starts the real daemon with this directory's config, logs in as the demo
// user and asks the realm twice: the second answer comes from the same
// worker, which remembers the first. Needs \`sessiond\` on PATH (or SESSIOND).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const here = import.meta.dirname

test('the realm answers a logged-in session from its own worker', async (t) => {
  const data = await mkdtemp(join(tmpdir(), '${name}-test-'))
  const daemon = spawn(process.env.SESSIOND ?? 'sessiond', ['start', '--config', join(here, 'sessiond.yaml'), '--listen', '127.0.0.1:0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(async () => {
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM')
      await once(daemon, 'exit')
    }
    await rm(data, { recursive: true, force: true })
  })
  let url = ''
  let login: string[] = []
  for await (const line of createInterface({ input: daemon.stdout! })) {
    url ||= /^sessiond listening on (\\S+)$/.exec(line)?.[1] ?? ''
    if (line.startsWith('demo login: ')) login = line.split(' ').slice(2)
    if (url && login.length > 0) break
  }
  const res = await fetch(url + '/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: login[0], password: login[1] }) })
  assert.equal(res.status, 200)
  const cookie = res.headers.getSetCookie()[0].split(';')[0]
  const ask = async () => (await fetch(url + '/${name}/hello', { headers: { cookie } })).json()
  assert.deepEqual(await ask(), { realm: '${name}', user: login[0], visits: 1, path: '/hello' })
  assert.equal((await ask()).visits, 2)
})
`,
    'sessiond.yaml': `# sessiond's config for this realm. Paths are relative to this file.
#   sessiond start --config sessiond.yaml    serve it (the demo login is printed)
#   sessiond check --config sessiond.yaml    validate it and load the handler
listen: 127.0.0.1:8080
dataDir: .sessiond
users:
  demo: demo                 # a user with a random password, printed at start
realms:
  - name: ${name}
    mount: /${name}
    handler: ./handler.ts
    kind: thread             # thread | process (its own Node process) | exec (any HTTP server)
    idleTimeout: 15m
`,
    'package.json': JSON.stringify({
      name,
      private: true,
      type: 'module',
      scripts: {
        start: 'sessiond start --config sessiond.yaml',
        check: 'sessiond check --config sessiond.yaml',
        test: 'node --test handler.test.ts',
        typecheck: 'tsc -p .'
      },
      dependencies: { '@sessiond/worker-sdk': `file:${sdkDir}` },
      devDependencies: { '@types/node': '24.19.2', typescript: '7.0.2' }
    }, null, 2) + '\n',
    // Node runs the .ts files itself (type stripping): tsc only checks them.
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        erasableSyntaxOnly: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true
      },
      include: ['*.ts']
    }, null, 2) + '\n',
    '.gitignore': 'node_modules/\n.sessiond/\n'
  }
}
