import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { TransientAccountsExhaustedError } from './errors.ts'

const run = promisify(execFile)

/**
 * systemd's DynamicUser range: uids no distribution hands out and no
 * account should own (see systemd's docs/UIDS-GIDS.md).
 */
export const DEFAULT_TRANSIENT_RANGE = { first: 61184, last: 65519 }

/** A uid (and a gid of the same number) lent to one worker for its life. */
export interface TransientAccount {
  uid: number
  gid: number
  /** Kills whatever still runs as the uid, then makes it available again. */
  release (): Promise<void>
}

/**
 * Lends each worker a uid and gid of its own from a range, the way
 * systemd's DynamicUser does: no accounts made by hand, and no two workers
 * ever share one while either runs, so one session's worker cannot read,
 * signal or connect to another's. A uid is lent only when no process on the
 * host runs as it (another supervisor's worker, or one a crashed supervisor
 * left: ChildRegistry kills those at start), and lent again only after
 * everything that ran as it has been killed (a daemonised helper included:
 * `kill -1` as that uid reaches every process of it, wherever it moved).
 */
export class TransientAccounts {
  #first: number
  #last: number
  #leased = new Set<number>()
  #next: number
  #onLease: (uid: number, leased: boolean) => void

  /** `onLease` hears each uid lent and given back: the registry records them for the next supervisor. */
  constructor (range: { first: number, last: number } = DEFAULT_TRANSIENT_RANGE, onLease: (uid: number, leased: boolean) => void = () => {}) {
    this.#first = range.first
    this.#last = range.last
    // Supervisors sharing a host start apart, so that two rarely pick the same free uid at once.
    this.#next = range.first + Math.floor(Math.random() * (range.last - range.first + 1))
    this.#onLease = onLease
  }

  async lease (): Promise<TransientAccount> {
    const busy = await uidsInUse(this.#first, this.#last)
    const size = this.#last - this.#first + 1
    for (let i = 0; i < size; i++) {
      const uid = this.#next
      this.#next = uid === this.#last ? this.#first : uid + 1
      if (this.#leased.has(uid) || busy.has(uid)) continue
      this.#leased.add(uid)
      this.#onLease(uid, true)
      return { uid, gid: uid, release: () => this.#release(uid) }
    }
    throw new TransientAccountsExhaustedError(this.#first, this.#last)
  }

  async #release (uid: number): Promise<void> {
    if (!this.#leased.has(uid)) return
    await killAllOf(uid)
    this.#leased.delete(uid)
    this.#onLease(uid, false)
  }
}

/** The uids in the range that some process on the host runs as (real uid, from /proc/PID/status). */
async function uidsInUse (first: number, last: number): Promise<Set<number>> {
  const uids = new Set<number>()
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (pid.charCodeAt(0) > 57) continue // not a pid: /proc's own entries are named with letters
    const status = await readFile(`/proc/${pid}/status`, 'latin1').catch(() => '')
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])
    if (uid >= first && uid <= last) uids.add(uid)
  }
  return uids
}

/** SIGKILL to every process of the uid: `kill -1` sent as that uid reaches all of them and nothing else. */
export async function killAllOf (uid: number): Promise<void> {
  try {
    await run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'kill', '-9', '-1'])
  } catch {
    // kill(-1) fails with ESRCH when nothing ran as the uid: the usual case.
  }
}
