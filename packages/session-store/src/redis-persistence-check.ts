import type { Redis } from 'ioredis'

/**
 * What in a Redis server's settings can lose sessions, in one sentence
 * each; empty when nothing is wrong or nothing could be checked (CONFIG
 * renamed or denied, as managed services do). The store needs one primary
 * with an append-only file fsynced at least every second, and no eviction
 * (docs/store.md, "Redis settings").
 */
export async function redisPersistenceProblems (redis: Redis): Promise<string[]> {
  const problems: string[] = []
  const config = async (name: string): Promise<string | undefined> => {
    try {
      const [, value] = await redis.config('GET', name) as string[]
      return value
    } catch {
      // CONFIG is refused here: this setting cannot be checked, which is no finding.
      return undefined
    }
  }
  const appendonly = await config('appendonly')
  if (appendonly === 'no') problems.push('appendonly is no: a restart loses every session (set appendonly yes)')
  const fsync = await config('appendfsync')
  if (appendonly === 'yes' && fsync === 'no') problems.push('appendfsync is no: a crash loses the writes the OS had not flushed (set appendfsync everysec or always)')
  const maxmemory = await config('maxmemory')
  const policy = await config('maxmemory-policy')
  if (maxmemory !== undefined && maxmemory !== '0' && policy !== undefined && policy !== 'noeviction') {
    problems.push(`maxmemory-policy is ${policy}: a full Redis evicts sessions (set maxmemory-policy noeviction)`)
  }
  try {
    const role = /^role:(\w+)/m.exec(await redis.info('replication'))?.[1]
    if (role !== undefined && role !== 'master') problems.push(`this Redis is a ${role}: the store writes to the primary only`)
  } catch {
    // INFO is refused here: the role cannot be checked.
  }
  return problems
}
