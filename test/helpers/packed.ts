// The installable tarballs, built and packed as a release would be
// (scripts/build-packages.ts) into a temporary directory, once per test file.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { PACKAGES, buildAndPack } from '../../scripts/build-packages.ts'

export type Tarballs = Record<(typeof PACKAGES)[number], string>

export async function packAll (t: TestContext): Promise<Tarballs> {
  const out = await mkdtemp(join(tmpdir(), 'sessiond-pack-'))
  t.after(() => rm(out, { recursive: true, force: true }))
  const files = buildAndPack(PACKAGES, out)
  return Object.fromEntries(PACKAGES.map((name, i) => [name, files[i]])) as Tarballs
}
