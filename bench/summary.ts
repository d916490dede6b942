// The summary every benchmark contributes to: rows of a markdown table.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface SummaryRow {
  benchmark: string
  metric: string
  value: string
  /** What the figure is compared with, or the goal it has. */
  note?: string
}

function cell (s: string): string {
  return s.replaceAll('|', '\\|')
}

export function summaryTable (rows: readonly SummaryRow[]): string {
  const lines = ['| benchmark | metric | value | note |', '| --- | --- | ---: | --- |']
  for (const r of rows) lines.push(`| ${cell(r.benchmark)} | ${cell(r.metric)} | ${cell(r.value)} | ${cell(r.note ?? '')} |`)
  return lines.join('\n')
}

export async function writeSummary (file: string, heading: string, rows: readonly SummaryRow[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${heading}\n\n${summaryTable(rows)}\n`)
}
