import { parseStringMap, serializeStringMap } from './php-serialize.ts'
import type { SessionHandle, SessionStore } from './store.ts'

// One connection's state in the classic session-server protocol: at most one
// opened session, and the commands that act on it. The answer to each line
// is `ok`, `ok <result>` or `err <message>`, without the line end.

/** How many arguments each command takes; the last one takes the rest of the line. */
const ARITY: Record<string, number> = {
  new: 0, open: 2, close: 0, commit: 0, destroy: 0, get: 1, put: 2, exists: 1, remove: 1, keys: 0, get_all: 0, put_all: 1, regenerate_id: 0
}

/** The classic wording for the errors a client can act on. */
const MESSAGES: Record<string, string> = {
  STORE_ERR_NO_SESSION: 'Session does not exist',
  STORE_ERR_LOCK_TIMEOUT: 'Session is locked',
  STORE_ERR_LOCK_LOST: 'Lock lost: the lease ended before commit',
  STORE_ERR_READ_ONLY: 'Session is opened read-only',
  STORE_ERR_KEY_INVALID: 'Invalid key',
  STORE_ERR_VALUE_TOO_LARGE: 'Value too large',
  STORE_ERR_MODE_INVALID: 'Mode must be r or rw',
  STORE_ERR_PHP_SERIALIZE: 'put_all needs PHP serialize() text of an array of strings',
  STORE_ERR_UNAVAILABLE: 'Session store unavailable'
}

const NO_SESSION = 'err No session opened.'
const BROKEN = /[\r\n]/

export interface LineSessionOptions {
  /** Lifetime of sessions made with `new`. */
  ttlMs: number
  /** User name recorded for sessions made with `new`. */
  user: string
  /** Whether a `new` may create a session now (the listener's rate limits); refused: `err Too many new sessions`. */
  mayCreate?: () => boolean
}

export class LineSession {
  #store: SessionStore
  #opts: LineSessionOptions
  #handle: SessionHandle | null = null

  constructor (store: SessionStore, opts: LineSessionOptions) {
    this.#store = store
    this.#opts = opts
  }

  /** Answers one line. Never throws: every failure becomes an `err` answer. */
  async run (line: string): Promise<string> {
    const space = line.indexOf(' ')
    const command = space === -1 ? line : line.slice(0, space)
    const arity = Object.hasOwn(ARITY, command) ? ARITY[command] : undefined
    if (arity === undefined) return 'err unknown command'
    const rest = space === -1 ? '' : line.slice(space + 1)
    const args = arity === 0 ? [] : splitArgs(rest, arity)
    if (args.length !== arity) return `err ${command} takes ${arity} argument${arity === 1 ? '' : 's'}`
    try {
      return await this.#run(command, args)
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      return `err ${MESSAGES[code] ?? 'Internal error'}`
    }
  }

  async #run (command: string, args: string[]): Promise<string> {
    switch (command) {
      case 'new': {
        if (this.#opts.mayCreate && !this.#opts.mayCreate()) return 'err Too many new sessions; retry later'
        await this.end()
        const { id } = await this.#store.create(this.#opts.user, this.#opts.ttlMs)
        this.#handle = await this.#store.open(id, 'rw')
        return `ok ${id}`
      }
      case 'open': {
        await this.end()
        this.#handle = await this.#store.open(args[0], args[1] as 'r' | 'rw')
        return 'ok'
      }
    }
    const h = this.#handle
    if (h === null) return NO_SESSION
    switch (command) {
      case 'close':
        this.#handle = null
        await h.close()
        return 'ok'
      case 'commit':
        await h.commit()
        return 'ok'
      case 'destroy':
        this.#handle = null
        await h.destroy()
        return 'ok'
      case 'get': {
        const v = await h.get(args[0])
        if (v === undefined) return 'err Key does not exist'
        return BROKEN.test(v) ? 'err Value holds a line break; read it with get_all or the HTTP API' : `ok ${v}`
      }
      case 'put':
        await h.put(args[0], args[1])
        return 'ok'
      case 'exists':
        return (await h.exists(args[0])) ? 'ok 1' : 'ok 0'
      case 'remove':
        await h.remove(args[0])
        return 'ok'
      case 'keys': {
        const keys = await h.keys()
        return keys.length === 0 ? 'ok' : `ok ${keys.join('|')}`
      }
      case 'get_all': {
        const text = serializeStringMap(await h.getAll())
        return BROKEN.test(text) ? 'err Value holds a line break; read it with the HTTP API' : `ok ${text}`
      }
      case 'put_all':
        await h.putAll(parseStringMap(args[0]))
        return 'ok'
      case 'regenerate_id':
        return `ok ${await h.regenerateId()}`
    }
    return 'err unknown command'
  }

  /** Ends the opened session, if any: the client is done with it, or gone. */
  async end (commit = true): Promise<void> {
    const h = this.#handle
    this.#handle = null
    if (h === null) return
    if (commit) await h.close()
    else await h.discard()
  }
}

/** `a b c d` with arity 2 → [a, 'b c d']: the last argument takes the rest of the line. */
function splitArgs (rest: string, arity: number): string[] {
  const out: string[] = []
  let at = 0
  for (let i = 0; i < arity - 1; i++) {
    const sp = rest.indexOf(' ', at)
    if (sp === -1) return out
    out.push(rest.slice(at, sp))
    at = sp + 1
  }
  out.push(rest.slice(at))
  return out
}
