// A reload (SIGHUP) re-reads the config file and applies what can change live.
//
//   loadConfig(file, overrides) ── invalid ──▶ throw: nothing changed
//      │
//   assertHandlersLoad(realms) ── an import does not resolve ──▶ throw: nothing changed
//      │
//   planReload(running, next): which realms changed, which settings need a restart
//      │
//   dispatcher.reconfigure(next realms) ── refuses ──▶ throw: nothing changed
//      │  (the supervisor compares its own settings of each realm: those that
//      │   changed drain their workers)
//      │
//   running.replace(config): the gateway's next request sees the new realms
import { isDeepStrictEqual } from 'node:util'
import type { Logger } from 'pino'
import type { Dispatcher, ReconfigureSummary } from '@sessiond/supervisor'
import { isMapping, loadConfig } from './config.ts'
import { assertHandlersLoad } from './handler-preflight.ts'
import type { Config, ConfigOverrides, RealmConfig } from './config.ts'
import { ConfigError } from './errors.ts'
import type { RunningConfig } from './running-config.ts'

/**
 * Settings a reload applies: read per request by the realm router. Every
 * other setting is read once when the daemon starts (the listener, TLS, the
 * store, the cookie and login settings), so a new value waits for a restart.
 */
const LIVE = new Set(['realms', 'limits.bodyLimit'])
/** Not settings of their own: host and port come from listen, file is what was re-read. */
const DERIVED = new Set(['file', 'host', 'port'])

export interface ReloadSummary {
  file: string
  added: string[]
  changed: string[]
  removed: string[]
  /** Realms whose live workers stop once idle, so that each session's next worker follows the new definition. */
  drained: string[]
  /** Settings whose new value waits for a restart, by key (`listen`, `limits.requestTimeout`). */
  needsRestart: string[]
}

interface ReloadPlan {
  /** What to run from now on: the new live settings, the running value of every other. */
  config: Config
  added: string[]
  changed: string[]
  removed: string[]
  needsRestart: string[]
}

function planReload (running: Config, next: Config): ReloadPlan {
  const before = new Map(running.realms.map(r => [r.name, r]))
  const plan: ReloadPlan = {
    config: Object.freeze({ ...running, realms: next.realms, limits: Object.freeze({ ...running.limits, bodyLimit: next.limits.bodyLimit }) }),
    added: [],
    changed: [],
    removed: running.realms.filter(r => !next.realms.some(n => n.name === r.name)).map(r => r.name),
    needsRestart: changedKeys(running, next, '').filter(key => !LIVE.has(key) && !DERIVED.has(key))
  }
  for (const realm of next.realms) {
    const old = before.get(realm.name)
    if (!old) plan.added.push(realm.name)
    else if (!isDeepStrictEqual(old, realm)) plan.changed.push(realm.name)
  }
  return plan
}

/** The keys whose values differ, by dotted path; objects are compared key by key, anything else whole. */
function changedKeys (a: unknown, b: unknown, path: string): string[] {
  if (!isMapping(a) || !isMapping(b)) return isDeepStrictEqual(a, b) ? [] : [path]
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].flatMap(k => changedKeys(a[k], b[k], path ? `${path}.${k}` : k))
}

export interface ConfigReloaderOptions {
  running: RunningConfig
  /** The overrides the daemon started with (flags and environment): a reload applies them the same way. */
  overrides: ConfigOverrides
  dispatcher: Dispatcher
  logger: Logger
}

/** Re-reads the running config's file and applies it, one reload at a time. */
export class ConfigReloader {
  readonly #running: RunningConfig
  readonly #overrides: ConfigOverrides
  readonly #dispatcher: Dispatcher
  readonly #log: Logger
  #tail: Promise<unknown> = Promise.resolve()

  constructor ({ running, overrides, dispatcher, logger }: ConfigReloaderOptions) {
    this.#running = running
    this.#overrides = overrides
    this.#dispatcher = dispatcher
    this.#log = logger
  }

  /**
   * Applies the file as it is now, or throws (and logs why) leaving the
   * running config untouched. Requests in flight finish with the settings
   * they started with; live workers of changed realms drain in the supervisor.
   */
  reload (): Promise<ReloadSummary> {
    // Reloads run one after another; each compares the file with what the one before it left running.
    const run = this.#tail.then(() => this.#reloadNow())
    this.#tail = run.catch(() => { /* logged in #reloadNow; the next reload starts afresh */ })
    return run
  }

  async #reloadNow (): Promise<ReloadSummary> {
    const file = this.#running.current.file
    try {
      const next = loadConfig(file, this.#overrides)
      // As at start-up: a handler that cannot resolve its imports is refused now, not at its first request.
      await assertHandlersLoad(next.realms)
      const plan = planReload(this.#running.current, next)
      const workers = await this.#reconfigureWorkers(file, plan.config.realms)
      this.#running.replace(plan.config)
      const summary: ReloadSummary = {
        file,
        added: plan.added,
        changed: plan.changed,
        removed: plan.removed,
        drained: [...workers.changed, ...workers.removed],
        needsRestart: plan.needsRestart
      }
      if (summary.needsRestart.length > 0) {
        this.#log.warn({ file, needsRestart: summary.needsRestart }, `config reload left ${summary.needsRestart.join(', ')} as running: needs a restart`)
      }
      this.#log.info({ file, added: summary.added, changed: summary.changed, removed: summary.removed, drained: summary.drained }, 'config reloaded')
      return summary
    } catch (err) {
      // A mistake in the file is the operator's, not a bug: its message says all, a stack trace nothing.
      if ((err as { code?: string }).code === 'GW_ERR_CONFIG' || (err as { code?: string }).code === 'GW_ERR_HANDLER_LOAD') this.#log.error({ file }, `config reload failed, the running config is unchanged: ${(err as Error).message}`)
      else this.#log.error({ err, file }, 'config reload failed, the running config is unchanged')
      throw err
    }
  }

  /** The supervisor refuses realms that cannot run here (runAs without root): that too is the file's fault. */
  async #reconfigureWorkers (file: string, realms: readonly RealmConfig[]): Promise<ReconfigureSummary> {
    try {
      return await this.#dispatcher.reconfigure(realms)
    } catch (err) {
      throw new ConfigError(`invalid config ${file}: ${(err as Error).message}`, { cause: err })
    }
  }
}
