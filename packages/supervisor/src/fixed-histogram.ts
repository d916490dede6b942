/** A histogram as plain data: it crosses the Dispatcher seam and becomes Prometheus text at the gateway. */
export interface HistogramData {
  /** Upper bounds (le), ascending; +Inf is implied. */
  bounds: number[]
  /** Cumulative counts per bound: observations <= bounds[i]. */
  counts: number[]
  sum: number
  count: number
}

/** Seconds: from a sub-millisecond answer to a start that took most of a minute. */
export const SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/**
 * A histogram with fixed buckets in one typed array: `observe` is a short
 * scan and three additions, with no allocation and no string built, so it
 * can sit on the per-request path. prom-client's own Histogram hashes its
 * label values into a string on every observe (prom-client 15.1.3,
 * lib/histogram.js `observe` → hashObject), even through `labels()`
 * children; this is what its children would be without that.
 */
export class FixedHistogram {
  readonly bounds: readonly number[]
  /** Per bucket, not cumulative; the last slot is +Inf. */
  readonly #counts: Float64Array
  #sum = 0
  #count = 0

  constructor (bounds: readonly number[] = SECONDS_BUCKETS) {
    this.bounds = bounds
    this.#counts = new Float64Array(bounds.length + 1)
  }

  observe (value: number): void {
    const b = this.bounds
    let i = 0
    while (i < b.length && value > b[i]) i++
    this.#counts[i]++
    this.#sum += value
    this.#count++
  }

  snapshot (): HistogramData {
    const counts: number[] = []
    let running = 0
    for (let i = 0; i < this.bounds.length; i++) counts.push(running += this.#counts[i])
    return { bounds: [...this.bounds], counts, sum: this.#sum, count: this.#count }
  }
}
