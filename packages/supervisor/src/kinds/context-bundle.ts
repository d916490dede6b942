// The context kind's compile-once step: a realm's handler and every module
// it imports, built by esbuild into one CommonJS script, which each shared
// thread compiles once and runs once per session's context (the worker-sdk's
// handler-bundle.ts). Chosen over a vm.SourceTextModule graph per context,
// which needs a resolver and a CommonJS loader of our own (Express is
// CommonJS) and compiles every module again in every context:
// bench/context-compile.ts measured Hono's 28 modules at 6.6 ms and 0.18 MiB
// of heap per context that way, against 0.4 ms and 0.03 MiB for the bundle.
//
// What a bundle cannot hold is refused here, when the daemon starts or
// reloads, with the file that needs it: a native addon (a .node file is
// loaded once per process, not per context), top-level await (a script has
// none), an import that does not resolve.
import { dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildSync } from 'esbuild'
import type { Message } from 'esbuild'
import type { WorkerRealm } from '../config.ts'
import { ContextBundleError } from '../errors.ts'

export interface ContextBundle {
  /** The handler's module graph as one CommonJS script. */
  code: string
  /** The handler module's path. */
  filename: string
}

/** The handler module every session gets from the thread itself, not from the bundle. */
const HOST_MODULES = ['@sessiond/worker-sdk']

const bundles = new WeakMap<WorkerRealm, ContextBundle>()

/** The realm's bundle, built on first use and kept as long as the realm definition lives. */
export function contextBundle (realm: WorkerRealm): ContextBundle {
  let bundle = bundles.get(realm)
  if (!bundle) bundles.set(realm, bundle = buildBundle(realm))
  return bundle
}

function explain (m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}: ` : ''
  if (/No loader is configured for "\.node" files/.test(m.text)) {
    return `${where}imports a native addon (${m.location?.lineText.trim() ?? m.text}), which loads once per process and cannot be instantiated per session: use kind thread or process`
  }
  if (/Top-level await/i.test(m.text)) {
    return `${where}uses top-level await, which a bundled handler cannot have: move it into start(), or use kind thread`
  }
  return where + m.text
}

function buildBundle (realm: WorkerRealm): ContextBundle {
  const handler = realm.handler!
  const filename = handler.startsWith('file:') ? fileURLToPath(handler) : handler
  const url = pathToFileURL(filename).href
  try {
    const result = buildSync({
      entryPoints: [filename],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      external: HOST_MODULES,
      absWorkingDir: dirname(filename),
      logLevel: 'silent',
      legalComments: 'none',
      // import() becomes require(): a script in a context has no module loader, and the bundle's require
      // reaches the thread's built-ins and the SDK (and fails, coded, for anything else).
      supported: { 'dynamic-import': false },
      // A bundle is one file: import.meta names the handler module in every module of it, as __filename does.
      define: { 'import.meta.url': JSON.stringify(url), 'import.meta.filename': JSON.stringify(filename), 'import.meta.dirname': JSON.stringify(dirname(filename)) }
    })
    return { code: result.outputFiles[0].text, filename }
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors ?? []
    const why = errors.length > 0 ? errors.map(explain).join('; ') : (err as Error).message
    throw new ContextBundleError(realm.name, filename, why, { cause: err })
  }
}
