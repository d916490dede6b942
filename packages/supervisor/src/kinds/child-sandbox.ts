// How a child worker is started: its argv wrapped in util-linux's setpriv
// (and unshare for a private /tmp), so that what the kernel can enforce is
// enforced before the worker's own code runs:
//
//   [unshare --mount … sh -c 'mount --rbind DIR /tmp …; exec "$@"']  private /tmp, /var/tmp, /dev/shm, /run/lock
//     setpriv --no-new-privs                 no setuid binary or file capability gains anything
//             --pdeathsig=KILL               dies with the supervisor, even a kill -9 of it
//             [--reuid U --regid G --init-groups | --clear-groups]   the worker's account
//       argv…
//
// Descriptors the daemon inherited never reach a worker: closeInheritedFds
// closes them when the supervisor starts.

/** The account a child switches to before its first instruction. */
export interface SandboxAccount {
  uid: number
  gid: number
  /** With a name, its supplementary groups are set from the group database; without, it has none. */
  user?: string
}

export interface Sandbox {
  /** Switch to this account in the wrapper (exec); a process runtime switches itself, at its claim. */
  account?: SandboxAccount
  /**
   * Mount the private directory (the spawn's cwd) over /tmp and /var/tmp,
   * and fresh tmpfs over /dev/shm and /run/lock (needs root). The worker
   * then sees its directory as /tmp (PRIVATE_TMP_VIEW).
   */
  privateTmp?: boolean
  /**
   * With privateTmp: paths of the worker's own code (Node, the runtime, the
   * handler, the command) that lie under /tmp (a checkout in /tmp), which
   * the private /tmp would hide: each one's top directory under /tmp is
   * bound back into it, read-only.
   */
  keep?: readonly string[]
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

/**
 * The binds come from `.`, the private directory (spawn's cwd), and /tmp goes
 * last: the directory's path may lie under /tmp and be hidden once it is
 * covered. Code kept from under /tmp is bound into the directory first, and
 * comes along with it (rbind).
 */
function privateTmpScript (keep: readonly string[]): string {
  const tops = [...new Set(keep.filter(p => p.startsWith('/tmp/')).map(p => p.split('/')[2]).filter(t => t !== undefined && t !== '' && t !== '.' && t !== '..'))]
  return [
    'mount --bind . /var/tmp',
    'mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev sessiond-shm /dev/shm',
    '{ [ ! -d /run/lock ] || mount -t tmpfs -o mode=1777,size=1m,nosuid,nodev sessiond-lock /run/lock; }',
    ...tops.map(t => `mkdir -p ${quote(`./${t}`)} && mount --bind -o ro ${quote(`/tmp/${t}`)} ${quote(`./${t}`)}`),
    'mount --rbind . /tmp',
    'exec "$@"'
  ].join(' && ')
}

/** Where a worker with a private /tmp sees its private directory. */
export const PRIVATE_TMP_VIEW = '/tmp'

export function sandboxedArgv (argv: string[], { account, privateTmp, keep = [] }: Sandbox): string[] {
  const setpriv = ['setpriv', '--no-new-privs', '--pdeathsig=KILL']
  if (account) {
    setpriv.push(`--reuid=${account.uid}`, `--regid=${account.gid}`, account.user !== undefined ? '--init-groups' : '--clear-groups')
  }
  const inner = [...setpriv, '--', ...argv]
  if (!privateTmp) return inner
  return ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', privateTmpScript(keep), 'sessiond-sandbox', ...inner]
}
