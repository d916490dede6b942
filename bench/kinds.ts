// sessiond's worker kinds as the benchmarks measure them: the realm each is
// mounted as (`/<name>`, the hello handler or, for exec, a plain Node
// server), the naive anchor it is held against in the same run
// (bench/request-path.ts), and the goals of issue 10. Every kind benchmark
// (request-path, worker-kinds, density) walks this table, so a new kind is
// one line here.
import { fileURLToPath } from 'node:url'
import type { AnchorKey } from './anchors/anchors.ts'
import type { BenchRealm } from './sessiond-daemon.ts'

export const EXEC_HELLO = fileURLToPath(new URL('./fixtures/exec-hello.mjs', import.meta.url))

export interface KindGoals {
  /** req/s / bare Fastify's, at least. */
  bare?: number
  /** req/s / the anchor's, at least. */
  anchor?: number
  /** p99 / bare Fastify's p99, at most. */
  p99?: number
  /** The gateway main thread's CPU per request / bare Fastify's, at most. */
  mainCpu?: number
  /** A new session's first response, p50 ms, at most. */
  coldP50Ms?: number
  /** With spares: the first response − an existing worker's after the same pause, p50 ms, at most. Kinds with this get a `-spares` realm. */
  spareMs?: number
  /** MiB of RSS per idle session, at most. */
  idleMib?: number
}

export interface KindBench {
  realm: BenchRealm
  anchor: AnchorKey
  /** Live sessions for the density figure (bench/density.ts); none: not measured. */
  densitySessions?: number
  goals: KindGoals
}

export const SESSIOND_KINDS: readonly KindBench[] = [
  { realm: { name: 'thread', kind: 'thread' }, anchor: 'naive-thread', densitySessions: 2_000, goals: { anchor: 1.0, mainCpu: 2, coldP50Ms: 30, spareMs: 2, idleMib: 7 } },
  { realm: { name: 'process', kind: 'process' }, anchor: 'nginx', goals: { anchor: 1.2, bare: 0.3, spareMs: 5 } },
  { realm: { name: 'exec', kind: 'exec', command: [process.execPath, EXEC_HELLO] }, anchor: 'nginx', goals: { anchor: 1.2 } },
  // Its anchor runs one shared thread, as the kind does by default on 2 cores (cores − 1).
  { realm: { name: 'context', kind: 'context' }, anchor: 'naive-vm-1', densitySessions: 10_000, goals: { anchor: 0.9, bare: 0.5, p99: 3, mainCpu: 2, coldP50Ms: 5, idleMib: 2 } }
]

/** The kinds' realms, plus a `<name>-spares` realm with two spares for each kind with a spare goal. */
export function kindRealms ({ spares = false } = {}): BenchRealm[] {
  return [
    ...SESSIOND_KINDS.map(k => k.realm),
    ...(spares ? SESSIOND_KINDS.filter(k => k.goals.spareMs !== undefined).map(k => ({ ...k.realm, name: `${k.realm.name}-spares`, spares: 2 })) : [])
  ]
}
