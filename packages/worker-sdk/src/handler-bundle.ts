import { createRequire, isBuiltin } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
import { contextUnsupported } from './errors.ts'
import type { Handler } from './handler.ts'
import { handlerFromModule } from './handler.ts'
import type { SessionContext } from './session-context.ts'

/** What a bundle may still require at run time: Node's built-ins and the SDK, both the thread's own. */
export type HostModules = Readonly<Record<string, unknown>>

/**
 * A realm's handler, bundled by the supervisor into one CommonJS script
 * (see the supervisor's context-bundle.ts), compiled once per thread and
 * run once in each session's context: every session then has its own
 * instances of the handler's modules, while V8 parses and compiles the code
 * once and shares it (bench/context-compile.ts measured this against a
 * vm.SourceTextModule graph per context).
 */
export class HandlerBundle {
  readonly #script: Script
  readonly #filename: string
  readonly #require: (id: string) => unknown

  constructor (code: string, filename: string, host: HostModules) {
    this.#filename = filename.startsWith('file:') ? fileURLToPath(filename) : filename
    const nodeRequire = createRequire(this.#filename)
    this.#require = (id: string) => {
      if (Object.hasOwn(host, id)) return host[id]
      if (isBuiltin(id)) return nodeRequire(id)
      throw contextUnsupported(`require(${JSON.stringify(id)}) of a module not bundled`)
    }
    // The wrapper is CommonJS's own: the bundle's `require` reaches only the thread's built-ins and the SDK.
    // The build turned import() into require() (a script has no module loader), so the bundle holds no import().
    this.#script = new Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: this.#filename })
  }

  /** The handler's module graph, instantiated in the session's context. */
  instantiate (context: SessionContext): Handler {
    const wrapper = this.#script.runInContext(context.global) as (...args: unknown[]) => void
    const module = { exports: {} as unknown }
    wrapper.call(module.exports, module.exports, this.#require, module, this.#filename, dirname(this.#filename))
    return handlerFromModule(module.exports, this.#filename)
  }
}
