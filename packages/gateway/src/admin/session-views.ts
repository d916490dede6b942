import type { SessionStore, SessionSummary } from '@sessiond/session-store'
import type { Dispatcher, WorkerInfo, WorkerState } from '@sessiond/supervisor'
import { sessionHash } from '@sessiond/worker-sdk/internal'

/** A session as the admin API shows it: by hash, never by id. */
export interface SessionView {
  id: string
  user: string
  createdAt: number
  lastSeenAt: number
  expiresAt: number
  workers: WorkerInfo[]
}

export interface SessionQuery {
  user?: string
  realm?: string
  /** Sessions with a worker in this state. */
  state?: WorkerState
}

/** Every live session matching the query, oldest first, each with its workers (the store's list joined with the dispatcher's). */
export async function sessionViews (store: SessionStore, dispatcher: Dispatcher, q: SessionQuery): Promise<SessionView[]> {
  const [{ sessions }, workers] = await Promise.all([
    store.list({ user: q.user, limit: Number.MAX_SAFE_INTEGER }),
    dispatcher.workers({ ...(q.user !== undefined && { user: q.user }), ...(q.realm !== undefined && { realm: q.realm }), ...(q.state !== undefined && { state: q.state }) })
  ])
  const bySession = new Map<string, WorkerInfo[]>()
  for (const w of workers) {
    const list = bySession.get(w.session)
    if (list) list.push(w)
    else bySession.set(w.session, [w])
  }
  const narrowed = q.realm !== undefined || q.state !== undefined
  const out: SessionView[] = []
  for (const s of sessions) {
    const id = sessionHash(s.id)
    const ws = bySession.get(id) ?? []
    if (narrowed && ws.length === 0) continue
    out.push({ id, user: s.user, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, workers: ws })
  }
  return out
}

/** The live session behind a hash, or undefined: the only way from what the admin API shows back to an id. */
export async function sessionByHash (store: SessionStore, hash: string): Promise<SessionSummary | undefined> {
  const { sessions } = await store.list({ limit: Number.MAX_SAFE_INTEGER })
  return sessions.find(s => sessionHash(s.id) === hash)
}
