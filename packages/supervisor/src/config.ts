import { Type } from '@sinclair/typebox'
import type { StaticDecode, StaticEncode } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Duration } from './duration.ts'

/** What the supervisor needs to know of a realm. The gateway adds mount and auth. */
export const WorkerRealmFields = {
  name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'a lower-case name: letters, digits and dashes' }),
  /** Each kind is a file under kinds/ (kinds/index.ts lists them). */
  kind: Type.Union([Type.Literal('context'), Type.Literal('thread'), Type.Literal('process'), Type.Literal('exec')], { default: 'thread' }),
  /** context, thread and process: the handler module. */
  handler: Type.Optional(Type.String({ minLength: 1, description: 'the path of the handler module' })),
  /** exec: the argv to run; $PORT and $SESSIOND_SOCKET are substituted. */
  command: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'an argv array such as ["python3", "app.py", "$PORT"]' })),
  /** process and exec: a unix socket in a private directory, or a loopback port for servers that only speak TCP. */
  listen: Type.Union([Type.Literal('unix'), Type.Literal('port')], { default: 'unix' }),
  /**
   * process and exec: the account a worker runs as — the one named like the
   * login, a transient uid of its own per worker, or one fixed account
   * (every session of the realm then shares it, and so shares a trust
   * domain). Needs root; a root supervisor without runAs uses `transient`.
   */
  runAs: Type.Optional(Type.Union([
    Type.Literal('session-user'),
    Type.Literal('transient'),
    Type.Object({ user: Type.String({ minLength: 1 }), group: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })
  ], { description: '"session-user", "transient" or { user, group }' })),
  idleTimeout: Duration('15m'),
  /**
   * The idle timeout of a worker while it has open WebSockets, counted from
   * the last message either way (pings are no activity); unset: idleTimeout.
   * A thread or process worker then hibernates with its sockets kept open at
   * the gateway; an exec worker's sockets close with 1001.
   */
  socketIdleTimeout: Type.Optional(Duration()),
  /** A worker this old is recycled (hibernating) once it is next idle between requests. 0: no limit. */
  maxLifetime: Duration('0ms'),
  startTimeout: Duration('10s'),
  stopTimeout: Duration('5s'),
  /** At most this many workers of this realm on the host; at the limit the least recently used idle one makes room. */
  maxWorkers: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Longest wait for a response's head; past it the request gets 504 and the worker is recycled. 0: no limit. */
  requestTimeout: Duration('60s'),
  /** Requests one worker handles at once; more wait in its queue. */
  concurrency: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  /** Requests that may wait for one worker; beyond it, 503 with Retry-After. 0: none wait. */
  queue: Type.Integer({ minimum: 0, maximum: 65_536, default: 64 }),
  /** Longest wait in a worker's queue; past it, 503 with Retry-After. */
  queueTimeout: Duration('10s'),
  /** Ready workers kept per realm for new sessions to claim, so that a first request skips the cold start. */
  spares: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** context: the realm's shared threads, each serving many sessions in contexts of their own (default: cores − 1, at least 1). */
  threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /**
   * context, thread and process: call the handler's `hibernate` this often
   * while the worker runs and save the state, so that losing the worker
   * unplanned (its shared thread recycled, a crash, its host lost) loses at
   * most this much. 0: never.
   */
  checkpoint: Duration('0ms'),
  /** process and exec: the worker's process group is killed when its resident memory exceeds this. */
  maxRssMb: Type.Optional(Type.Integer({ minimum: 8 })),
  /** thread: the thread's V8 limits; context: each shared thread's, for all its sessions; process: maxOldGenerationSizeMb becomes the child's heap limit. */
  resourceLimits: Type.Optional(Type.Object({
    maxOldGenerationSizeMb: Type.Optional(Type.Integer({ minimum: 8 })),
    maxYoungGenerationSizeMb: Type.Optional(Type.Integer({ minimum: 1 })),
    stackSizeMb: Type.Optional(Type.Integer({ minimum: 1 }))
  }, { additionalProperties: false }))
}

export const WorkerRealmSchema = Type.Object(WorkerRealmFields, { additionalProperties: false })

/** The settings the supervisor reads of a realm: a change in any of them replaces the realm's workers. */
export const WORKER_REALM_KEYS = Object.keys(WorkerRealmFields) as Array<keyof WorkerRealm>

/** A realm as the supervisor uses it: durations in ms, handler an absolute file URL or path. */
export type WorkerRealm = StaticDecode<typeof WorkerRealmSchema>

/**
 * A realm from the fields a caller cares about, the rest at their defaults:
 * for embedding the supervisor without a config file (tests, benchmarks).
 * Invalid fields throw TypeBox's decode error.
 */
export function workerRealm (fields: Partial<StaticEncode<typeof WorkerRealmSchema>> & { name: string }): WorkerRealm {
  return Value.Decode(WorkerRealmSchema, Value.Default(WorkerRealmSchema, structuredClone(fields)))
}

const LISTEN = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$'
/** A host id: what membership, placements and (mutual TLS) certificates name a supervisor by. */
export const HOST_ID = '^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$'

/** Several hosts: `sessiond supervisor` on each, `sessiond gateway` in front, one Redis (docs/deploy/cluster.md). */
export const ClusterSchema = Type.Object({
  /** The Redis of the store and of coordination (membership, placement): the store section follows it. */
  redis: Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL' }),
  /** sessiond supervisor: this host's id (SESSIOND_HOST or --host override it). */
  host: Type.Optional(Type.String({ pattern: HOST_ID, description: 'a host id: lower-case letters, digits, dots and dashes' })),
  /** sessiond supervisor: where gateways' calls arrive. */
  listen: Type.String({ pattern: LISTEN, default: '0.0.0.0:7100', description: 'HOST:PORT' }),
  /** sessiond supervisor: the URL gateways reach it at; by default its listen address, when that is not a wildcard. */
  advertise: Type.Optional(Type.String({ pattern: '^https?://[A-Za-z0-9.\\[\\]:-]+:[0-9]{1,5}$', description: 'a URL such as https://10.0.0.11:7100 (https with mode mtls, http with hmac)' })),
  /** How gateways and supervisors know each other. Paths are relative to the config file. */
  auth: Type.Union([
    Type.Object({
      mode: Type.Literal('mtls'),
      ca: Type.String({ minLength: 1 }),
      cert: Type.String({ minLength: 1 }),
      key: Type.String({ minLength: 1 })
    }, { additionalProperties: false }),
    Type.Object({
      mode: Type.Literal('hmac'),
      secret: Type.String({ minLength: 1 })
    }, { additionalProperties: false })
  ], { description: '{ mode: mtls, ca, cert, key } (files from `sessiond cert --ca`) or { mode: hmac, secret } (a mode 0600 file)' }),
  /** A supervisor's membership lease: a host lost without warning is taken over about this long after. */
  lease: Duration('2s'),
  /** How long a gateway holds a request while its session fails over or moves, before 503 with Retry-After. */
  hold: Duration('10s'),
  /** sessiond supervisor: how many workers this host takes; new sessions go to hosts in proportion to what they have free. */
  capacity: Type.Integer({ minimum: 1, default: 1000 }),
  /** How long a move (drain, migrate) waits for a session's requests in progress to finish. */
  moveWait: Duration('10s')
}, { additionalProperties: false })

export type ClusterConfig = StaticDecode<typeof ClusterSchema>
