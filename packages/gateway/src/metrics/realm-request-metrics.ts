import { FixedHistogram } from '@sessiond/supervisor'
import type { HistogramData } from '@sessiond/supervisor'

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const

/**
 * One realm's request durations, a histogram per status class made ahead of
 * time: recording a response is an index and a FixedHistogram.observe, with
 * no label string built and nothing allocated (the realm router is the hot
 * path).
 */
export class RealmRequestTimer {
  readonly realm: string
  readonly byClass: FixedHistogram[] = STATUS_CLASSES.map(() => new FixedHistogram())

  constructor (realm: string) {
    this.realm = realm
  }

  observe (status: number, seconds: number): void {
    const i = ((status / 100) | 0) - 1
    this.byClass[i >= 0 && i < 5 ? i : 4].observe(seconds)
  }
}

/** The timers by realm name, made on a realm's first request and kept (a reload that removes a realm keeps its counts). */
export class RealmRequestMetrics {
  readonly #byRealm = new Map<string, RealmRequestTimer>()

  of (realm: string): RealmRequestTimer {
    let t = this.#byRealm.get(realm)
    if (!t) this.#byRealm.set(realm, t = new RealmRequestTimer(realm))
    return t
  }

  * snapshot (): Iterable<{ realm: string, statusClass: string, data: HistogramData }> {
    for (const t of this.#byRealm.values()) {
      for (let i = 0; i < STATUS_CLASSES.length; i++) {
        const data = t.byClass[i].snapshot()
        if (data.count > 0) yield { realm: t.realm, statusClass: STATUS_CLASSES[i], data }
      }
    }
  }
}
