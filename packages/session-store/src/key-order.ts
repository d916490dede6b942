/**
 * Code-point order, as SQLite's BINARY collation sorts UTF-8; a plain
 * sort() compares UTF-16 units and would put U+1F600 before U+FF01.
 */
export function compareKeys (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}
