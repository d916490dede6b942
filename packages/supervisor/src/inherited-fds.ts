import { closeSync, readFileSync, readdirSync } from 'node:fs'

/** O_CLOEXEC as /proc/PID/fdinfo's octal `flags:` line shows it (asm-generic/fcntl.h). */
const O_CLOEXEC = 0o2000000

let closed = false

/**
 * Closes the descriptors this process inherited from whatever started it
 * (a pipe at fd 251 from a launcher, a socket from a shell): without close-
 * on-exec they would reach every worker it spawns, each worker account's
 * included. Node and libuv open every descriptor of their own with
 * O_CLOEXEC, so a descriptor above stdio without it was inherited. Node's
 * own IPC channel to a parent (NODE_CHANNEL_FD) stays. Once per process;
 * Linux only (elsewhere there is no /proc/self/fdinfo and nothing is done).
 */
export function closeInheritedFds (): number[] {
  if (closed) return []
  closed = true
  const keep = new Set([0, 1, 2, Number(process.env.NODE_CHANNEL_FD ?? -1)])
  const gone: number[] = []
  let fds: string[]
  try {
    fds = readdirSync('/proc/self/fd')
  } catch {
    return gone
  }
  for (const name of fds) {
    const fd = Number(name)
    if (keep.has(fd)) continue
    let flags: number
    try {
      flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1] ?? '', 8)
    } catch {
      continue // the directory listing's own descriptor, closed since
    }
    if (Number.isNaN(flags) || (flags & O_CLOEXEC) !== 0) continue
    try {
      closeSync(fd)
      gone.push(fd)
    } catch {
      // Closed meanwhile.
    }
  }
  return gone
}
