// Metrics whose values are read when scraped, from data that crossed the
// Dispatcher seam (a supervisor's counters and histograms) or from the
// gateway's own FixedHistograms: prom-client's Registry takes any object
// with a name, a type, a help text and `get()` (prom-client 15.1.3,
// lib/registry.js getMetricsAsString), which is what these are.
import type { HistogramData } from '@sessiond/supervisor'

export type Labels = Record<string, string>

export interface Sample {
  labels: Labels
  value: number
  /** For a histogram's series: name_bucket, name_sum, name_count. */
  metricName?: string
}

export interface SnapshotMetric {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  aggregator: 'sum'
  get (): Promise<{ name: string, help: string, type: string, aggregator: 'sum', values: Sample[] }>
}

/** A metric whose samples `collect` answers at each scrape. */
export function snapshotMetric (name: string, help: string, type: SnapshotMetric['type'], collect: () => Sample[] | Promise<Sample[]>): SnapshotMetric {
  const metric: SnapshotMetric = {
    name,
    help,
    type,
    aggregator: 'sum',
    // For OpenMetrics prom-client strips a counter's _total from `name` and adds it to each sample: samples name none of their own.
    get: async () => ({ name: metric.name, help, type, aggregator: 'sum', values: await collect() })
  }
  return metric
}

/** A histogram's series, Prometheus' way: cumulative buckets with `le`, +Inf, sum and count. */
export function histogramSamples (name: string, labels: Labels, h: HistogramData): Sample[] {
  const out: Sample[] = h.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: h.counts[i] }))
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count })
  out.push({ metricName: `${name}_sum`, labels, value: h.sum })
  out.push({ metricName: `${name}_count`, labels, value: h.count })
  return out
}
