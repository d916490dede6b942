// Metrics as a scraper reads them: the text parsed by a Prometheus
// text-format parser (prom2javascript), then looked up by name and labels.
// (parse-prometheus-text-format was tried first: it merges every label set
// of a histogram into one, dist/*.esm.js flattenMetrics.)
import assert from 'node:assert/strict'
import { getMetricsFromIterator } from 'prom2javascript'
import type { PromData, PromHistogramData, PromMetrics } from 'prom2javascript'

export class Scrape {
  readonly families: PromMetrics
  readonly text: string

  constructor (text: string, families: PromMetrics) {
    this.text = text
    this.families = families
  }

  #sample<T extends { labels: Record<string, string> }> (name: string, labels: Record<string, string>): T | undefined {
    const family = this.families[name]
    assert.ok(family, `metric ${name} is exposed`)
    return (family.data as unknown as T[]).find(m => Object.entries(labels).every(([k, v]) => m.labels[k] === v))
  }

  /** A counter's or gauge's value; 0 when no series has these labels yet. */
  value (name: string, labels: Record<string, string> = {}): number {
    return this.#sample<PromData>(name, labels)?.value ?? 0
  }

  /** A histogram's observation count; 0 when no series has these labels yet. */
  count (name: string, labels: Record<string, string> = {}): number {
    assert.equal(this.type(name), 'histogram', `${name} is a histogram`)
    return this.#sample<PromHistogramData>(name, labels)?.count ?? 0
  }

  type (name: string): string | undefined {
    return this.families[name]?.type
  }

  names (): string[] {
    return Object.keys(this.families)
  }

  /** Every series' labels of a metric. */
  labelsOf (name: string): Array<Record<string, string>> {
    return (this.families[name]?.data ?? []).map(d => d.labels)
  }
}

/**
 * A sample whose value is NaN: prom-client writes it `Nan` (Prometheus' own
 * parser takes that: Go's ParseFloat ignores case), and prom2javascript takes
 * no NaN at all. Only prom-client's event-loop figures are NaN, before their
 * first measurement; such lines are left out of the parse, and any other
 * NaN fails the scrape.
 */
const NAN_SAMPLE = / (Nan|NaN)$/

export async function parseMetrics (text: string): Promise<Scrape> {
  const lines = text.split('\n')
  const nan = lines.filter(l => !l.startsWith('#') && NAN_SAMPLE.test(l))
  assert.ok(nan.every(l => l.startsWith('nodejs_eventloop_lag_')), `only event-loop figures may be NaN: ${nan.join(', ')}`)
  return new Scrape(text, await getMetricsFromIterator(lines.filter(l => !NAN_SAMPLE.test(l))[Symbol.iterator]()))
}

export async function scrape (url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers })
  assert.equal(res.status, 200, url)
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/)
  return parseMetrics(await res.text())
}
