// Programs from Debian's packages that some tests drive (nginx, Apache
// httpd, php). Under CI a missing one is a failure, never a skip: the
// bootstrap (scripts/toolchain.mjs) installs it. Elsewhere the test is
// skipped, saying why.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** The binary's path: on PATH, or in /usr/sbin, which a non-root PATH often lacks. */
export function findBinary (name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  if (found.status === 0) return found.stdout.trim()
  return existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : undefined
}

/** A test's `skip` option: false when `binary` is there; throws under CI when it is not. */
export function skipUnlessInstalled (binary: string, pkg: string): string | false {
  if (findBinary(binary)) return false
  if (process.env.CI === 'true') throw new Error(`${binary} is missing: scripts/toolchain.mjs installs ${pkg} for tests`)
  return `${binary} is not installed (apt-get install ${pkg})`
}
