import type { Config } from './config.ts'

/**
 * The config the daemon runs on, behind one object that never changes: the
 * gateway is built with `view`, and a reload swaps what the view reads. Code
 * that reads a setting per request (the realm router, the login page's list
 * of realms) sees a reload at its next request; code that read a setting
 * once at start-up keeps that value, which is why a reload carries over the
 * running values of such settings (see config-reload.ts).
 */
export class RunningConfig {
  #current: Config
  readonly view: Config

  constructor (config: Config) {
    this.#current = config
    const view = {}
    // Every config from loadConfig has the same keys (an absent optional one is present as undefined).
    for (const key of Object.keys(config)) {
      Object.defineProperty(view, key, { enumerable: true, get: () => this.#current[key as keyof Config] })
    }
    this.view = Object.freeze(view) as Config
  }

  get current (): Config {
    return this.#current
  }

  replace (next: Config): void {
    this.#current = next
  }
}
