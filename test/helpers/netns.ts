// Hosts of their own for a test: one network namespace per host, each with
// a veth pair onto a bridge in the test's namespace, which has the
// bridge's address (the test's own processes, Redis and nginx run there).
// Made with iproute2 (root), removed after the test even when it fails, and
// namespaces a crashed earlier run left behind are removed first. `cut`
// takes a host's link down at the bridge (its own end loses its carrier):
// a partition that its open connections notice only by their timers, as
// on a real network, and whose unsent data TCP sends once `heal` brings
// the link back. (Not tc netem: the kernels of some CI machines have no
// sch_netem.)
import { execFile, spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where a helper registers what to undo: a test's context, or a suite's list for its after() hook. */
export interface Cleanup {
  after (fn: () => Promise<void> | void): void
}
const NS_PREFIX = 'sdt-'

export interface NetHost {
  name: string
  ns: string
  ip: string
  /** The veth end on the bridge (the test's side) and the one inside the host. */
  outer: string
  inner: string
}

/** Why the test cannot make hosts here, or false. Under CI a missing tool is a failure, never a skip. */
export function netnsSkipReason (): string | false {
  const missing = spawnSync('sh', ['-c', 'command -v ip'], { stdio: 'ignore' }).status !== 0
  const why = missing ? 'ip is missing (apt-get install iproute2)' : process.getuid?.() !== 0 ? 'network namespaces need root' : false
  if (why && process.env.CI === 'true') throw new Error(`cannot make test hosts: ${why}`)
  return why
}

async function ip (...args: string[]): Promise<void> {
  await run('ip', args)
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the namespaces and bridges of test runs whose process is gone. */
async function removeLeftovers (): Promise<void> {
  const { stdout: ns } = await run('ip', ['netns', 'list'])
  for (const line of ns.split('\n')) {
    const m = /^(sdt-(\d+)-\S+)/.exec(line)
    if (m && !alive(Number(m[2]))) await ip('netns', 'del', m[1]).catch(() => {})
  }
  const { stdout: links } = await run('ip', ['-o', 'link', 'show', 'type', 'bridge'])
  for (const line of links.split('\n')) {
    const m = /^\d+: (sdb([0-9a-z]{5})[0-9a-z]{2})[:@]/.exec(line)
    if (m && !alive(Number.parseInt(m[2], 36))) await ip('link', 'del', m[1]).catch(() => {})
  }
}

export class TestNetwork {
  readonly bridge: string
  /** The test's own address on the bridge: where Redis and nginx listen for the hosts. */
  readonly ip: string
  #hosts = new Map<string, NetHost>()
  #subnet: string
  #tag: string
  #removed = false

  private constructor (tag: string, subnet: string) {
    this.#tag = tag
    this.#subnet = subnet
    this.bridge = `sdb${tag}`
    this.ip = `${subnet}.1`
  }

  /** A bridge and one namespace per name (addresses .11 onwards, in order); all removed after the test. */
  static async create (t: Cleanup, names: string[]): Promise<TestNetwork> {
    await removeLeftovers()
    // 5 base-36 characters of the pid (so that a later run can tell it is gone) and 2 random ones: 10 of IFNAMSIZ's 15.
    const tag = process.pid.toString(36).padStart(5, '0') + randomInt(36 * 36).toString(36).padStart(2, '0')
    const subnet = `10.${200 + randomInt(50)}.${randomInt(256)}`
    const net = new TestNetwork(tag, subnet)
    t.after(() => net.remove())
    await ip('link', 'add', net.bridge, 'type', 'bridge')
    await ip('addr', 'add', `${net.ip}/24`, 'dev', net.bridge)
    await ip('link', 'set', net.bridge, 'up')
    let i = 0
    for (const name of names) {
      const host: NetHost = { name, ns: `${NS_PREFIX}${process.pid}-${tag}-${name}`, ip: `${subnet}.${11 + i}`, outer: `sdv${tag}${i.toString(36)}`, inner: `sdp${tag}${i.toString(36)}` }
      i++
      await ip('netns', 'add', host.ns)
      await ip('link', 'add', host.outer, 'type', 'veth', 'peer', 'name', host.inner, 'netns', host.ns)
      await ip('link', 'set', host.outer, 'master', net.bridge, 'up')
      await ip('-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', host.inner)
      await ip('-n', host.ns, 'link', 'set', host.inner, 'up')
      await ip('-n', host.ns, 'link', 'set', 'lo', 'up')
      net.#hosts.set(name, host)
    }
    return net
  }

  host (name: string): NetHost {
    const h = this.#hosts.get(name)
    if (!h) throw new Error(`no test host ${name}`)
    return h
  }

  /** argv that runs `argv` inside the host's namespace. */
  exec (name: string, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.host(name).ns, ...argv]
  }

  /** Nothing reaches the host or leaves it from now on; its sockets stay open. */
  async cut (name: string): Promise<void> {
    await ip('link', 'set', this.host(name).outer, 'down')
  }

  async heal (name: string): Promise<void> {
    await ip('link', 'set', this.host(name).outer, 'up')
  }

  async remove (): Promise<void> {
    if (this.#removed) return
    this.#removed = true
    // Deleting a namespace deletes its veth end, and so the pair.
    for (const h of this.#hosts.values()) await ip('netns', 'del', h.ns).catch(() => {})
    await ip('link', 'del', this.bridge).catch(() => {})
  }

  get tag (): string {
    return this.#tag
  }

  get subnet (): string {
    return this.#subnet
  }
}
