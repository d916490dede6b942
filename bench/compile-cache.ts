// Node's on-disk compile cache (NODE_COMPILE_CACHE): V8 code cache plus,
// for .ts files, the type-stripped source. Without it every worker thread
// loads Node's TypeScript stripper (amaro, swc compiled to wasm) to strip
// the worker runtime and the handler again; with it a thread skips that.
// The CLI turns it on by default (module.enableCompileCache()); the
// benchmarks run a daemon with it off and one with it on, side by side.
import { join } from 'node:path'
import { tempDir } from './cleanup.ts'
import { HELLO_REALM, NO_COMPILE_CACHE, startSessiond } from './sessiond-daemon.ts'
import type { BenchRealm } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'

export interface CompileCache {
  env: Record<string, string>
  remove (): void
}

/**
 * A compile cache already filled by a daemon that started two workers of
 * each of `realms` (by default the hello thread realm) and exited (the cache is written at exit), so that the daemon measured with it
 * finds every module there.
 */
export async function primedCompileCache (realms: BenchRealm[] = [HELLO_REALM]): Promise<CompileCache> {
  const dir = tempDir('compile-cache')
  const env = { NODE_COMPILE_CACHE: join(dir.path, 'cache') }
  try {
    const d = await startSessiond({ env, realms })
    try {
      for (const cookie of await loginMany(d.url, 2)) for (const r of realms) await getHello(d.url, cookie, `/${r.name}`)
    } finally {
      await d.stop()
    }
    return { env, remove: dir.remove }
  } catch (err) {
    dir.remove()
    throw err
  }
}

export interface CompileCacheVariant {
  label: string
  env: Readonly<Record<string, string>>
}

/** The two daemons the compile-cache comparisons run, in this order: the cache off, then on (the CLI's default). */
export function compileCacheVariants (cache: CompileCache): CompileCacheVariant[] {
  return [
    { label: 'compile cache off', env: NO_COMPILE_CACHE },
    { label: 'compile cache on (default)', env: cache.env }
  ]
}
