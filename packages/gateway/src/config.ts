import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Type } from '@sinclair/typebox'
import type { StaticDecode, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ACCOUNT_NAME_PATTERN, ByteSize, ClusterSchema, Duration, LISTEN_PATTERN, WorkerRealmFields, parseListenAddress, workerKind } from '@sessiond/supervisor'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from './errors.ts'

const LISTEN = LISTEN_PATTERN
/** A path prefix such as /notes: no trailing slash, no empty or dot segments, unreserved characters only. */
export const PATH_PREFIX = '^(/(?!\\.\\.?(/|$))[A-Za-z0-9._~-]+)+$'
/** Headers a front server must not be allowed to speak for: the gateway reads or sets them itself. */
const GATEWAY_HEADERS = ['host', 'cookie', 'authorization', 'connection', 'content-length', 'transfer-encoding', 'forwarded',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'x-sessiond-user', 'x-request-id']
/** Paths the gateway itself answers; no realm may mount over them. */
export const RESERVED_PATHS = ['/login', '/logout', '/healthz', '/readyz', '/_sessiond']
const RUNNING_AS_ROOT = process.getuid?.() === 0

export const RealmSchema = Type.Object({
  ...WorkerRealmFields,
  mount: Type.String({ pattern: PATH_PREFIX, description: 'a path prefix such as /notes, without a trailing slash or dot segments' }),
  auth: Type.Union([Type.Literal('required'), Type.Literal('anonymous')], { default: 'required' }),
  bodyLimit: Type.Optional(ByteSize()),
  /**
   * Settings that apply only when the daemon runs as root: a config shared by
   * a root deployment and development as an ordinary user (the demo's whoami
   * realm) runs its process workers as the login's account where it can.
   */
  whenRoot: Type.Optional(Type.Object({ runAs: WorkerRealmFields.runAs }, { additionalProperties: false })),
  /** Refuse state-changing requests from other sites (realm-csrf.ts); off for APIs with tokens of their own. */
  csrf: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Boolean()], { default: 'on', description: 'on or off' }),
  /** Serve the realm only to requests with this Host header (its own origin: a subdomain per realm). */
  host: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$', description: 'a lower-case host name as the Host header carries it, with the port when it is not the default' })),
  /** A Content-Security-Policy for every response of the realm (see realm-csp.ts); the worker's own is replaced. */
  csp: Type.Optional(Type.Object({
    policy: Type.Optional(Type.String({ minLength: 1, pattern: '^[^\\r\\n]+$', description: 'a policy on one line' })),
    sandbox: Type.Optional(Type.Union([
      Type.Boolean(),
      Type.String({ pattern: '^(\\s*allow-(forms|modals|orientation-lock|pointer-lock|popups|popups-to-escape-sandbox|presentation|scripts|top-navigation|top-navigation-by-user-activation|downloads))*\\s*$', description: 'sandbox allowances such as "allow-scripts allow-forms" (never allow-same-origin)' })
    ]))
  }, { additionalProperties: false })),
  /** WebSockets to the realm's workers (see web-socket-relay.ts). */
  webSocket: Type.Object({
    /** Open sockets one session may have in this realm, those of a hibernated worker included; past it, 429. */
    maxPerSession: Type.Integer({ minimum: 1, default: 16 }),
    /** A client message larger than this closes its socket with 1009. */
    maxMessage: ByteSize('1MiB'),
    /** Bytes of the worker's messages that may wait for a slow client; past it, the socket closes with 1013. */
    sendBuffer: ByteSize('4MiB'),
    /** From the handshake's arrival to the worker's answer, its start included; past it, 504. */
    handshakeTimeout: Duration('10s'),
    /** Origins besides the gateway's own that may open sockets here (https://app.example.org); others get 403. */
    origins: Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$', description: 'an origin such as https://example.org' }), { default: [] })
  }, { additionalProperties: false, default: {} }),
  /** Only these users and members of these groups reach the realm; others get 403. */
  allow: Type.Optional(Type.Object({
    users: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
  }, { additionalProperties: false }))
}, { additionalProperties: false })

/** What one client may cost the gateway: sizes, timeouts, connections. */
const LimitsSchema = Type.Object({
  bodyLimit: ByteSize('10MiB'),
  maxHeaderSize: ByteSize('16KiB'),
  headersTimeout: Duration('10s'),
  requestTimeout: Duration('5m'),
  keepAliveTimeout: Duration('5s'),
  connectionTimeout: Duration('2m'),
  maxRequestsPerSocket: Type.Integer({ minimum: 0, default: 1000, description: 'an integer >= 0 (0: unlimited)' }),
  maxConnections: Type.Integer({ minimum: 1, default: 10_000 }),
  /** How often the gateway pings each WebSocket client; one that has not answered the last ping by the next is cut. 0: never. */
  webSocketPing: Duration('30s')
}, { additionalProperties: false, default: {} })

export const ConfigSchema = Type.Object({
  listen: Type.String({ pattern: LISTEN, default: '127.0.0.1:8080', description: 'HOST:PORT' }),
  dataDir: Type.String({ minLength: 1, default: '.sessiond' }),
  users: Type.Object({
    /** Who the users are: the users file, or the system's own accounts through PAM (pam-users.ts). */
    source: Type.Union([Type.Literal('file'), Type.Literal('pam')], { default: 'file' }),
    file: Type.Optional(Type.String({ minLength: 1 })),
    demo: Type.Optional(Type.String({ pattern: ACCOUNT_NAME_PATTERN, description: 'a user name' })),
    /** source pam: the PAM service, a file in /etc/pam.d. */
    service: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', default: 'sessiond', description: 'a PAM service name (a file in /etc/pam.d)' })
  }, { additionalProperties: false, default: {} }),
  store: Type.Object({
    kind: Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')], { default: 'sqlite' }),
    url: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL' })),
    // YAML reads a bare `7777` as a number: a port is taken as a number or as a string.
    protocolListen: Type.Optional(Type.Union([
      Type.Integer({ minimum: 0, maximum: 65535 }),
      Type.String({ pattern: `^[0-9]{1,5}$|${LISTEN}` })
    ], { description: 'PORT (on 127.0.0.1) or HOST:PORT for the line-protocol listener (off when absent)' })),
    /** A file (mode 0600) holding the line protocol's secret: each connection's first command is then `auth <secret>`. */
    protocolAuth: Type.Optional(Type.String({ minLength: 1, description: 'the path of a mode 0600 file holding the line protocol\'s secret' })),
    /** Absent fields take the listener's defaults (LineProtocolListener: 1024, 64, 256, 100, 10). */
    protocolLimits: Type.Optional(Type.Object({
      connections: Type.Optional(Type.Integer({ minimum: 1 })),
      connectionsPerAddress: Type.Optional(Type.Integer({ minimum: 1 })),
      commandsInFlight: Type.Optional(Type.Integer({ minimum: 1 })),
      newPerSecond: Type.Optional(Type.Integer({ minimum: 1, description: 'an integer >= 1: `new` per second for the whole listener' })),
      newPerSecondPerConnection: Type.Optional(Type.Integer({ minimum: 1, description: 'an integer >= 1: `new` per second on one connection' }))
    }, { additionalProperties: false }))
  }, { additionalProperties: false, default: {} }),
  session: Type.Object({
    maxAge: Duration('12h'),
    /** A session unused this long is over (0: no idle limit). */
    idleTimeout: Duration('2h')
  }, { additionalProperties: false, default: {} }),
  login: Type.Object({
    attemptsPerUser: Type.Integer({ minimum: 1, default: 5, description: 'failed logins for one account from one address (or one of its known browsers) before delays begin' }),
    attemptsPerAccount: Type.Integer({ minimum: 1, default: 50, description: 'failed logins for one account from browsers it does not know, any address, before delays begin' }),
    attemptsPerIp: Type.Integer({ minimum: 1, default: 20, description: 'failed logins from one client address before delays begin' }),
    delay: Duration('1s'),
    maxDelay: Duration('15m')
  }, { additionalProperties: false, default: {} }),
  log: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)), { default: 'info' }),
    /** One line per realm request (request id, realm, status, duration, worker hash), at info: off by default, for the hot path's sake. */
    access: Type.Boolean({ default: false, description: 'true or false' }),
    /** Human-readable lines for a terminal (pino-pretty) instead of JSON. */
    pretty: Type.Boolean({ default: false, description: 'true or false' })
  }, { additionalProperties: false, default: {} }),
  /** Who may use the admin API and page (/_sessiond/admin/) with their login: the members of this group. Bearer tokens: `sessiond admin token`. */
  admin: Type.Object({
    group: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$', default: 'admin', description: 'a group name' })
  }, { additionalProperties: false, default: {} }),
  /** Prometheus metrics: always at /_sessiond/metrics for admins; with `listen`, also at /metrics on that address with no authentication (a private network's scraper). */
  metrics: Type.Object({
    listen: Type.Optional(Type.String({ pattern: LISTEN, description: 'HOST:PORT' }))
  }, { additionalProperties: false, default: {} }),
  limits: LimitsSchema,
  /** Serve HTTPS (HTTP/2 by ALPN, HTTP/1.1 for the rest) on `listen`. */
  tls: Type.Optional(Type.Object({
    cert: Type.String({ minLength: 1, description: 'the path of a PEM certificate (chain)' }),
    key: Type.String({ minLength: 1, description: 'the path of its PEM private key' })
  }, { additionalProperties: false })),
  /** Strict-Transport-Security max-age on every response to an HTTPS client, direct or via a trusted proxy (0: none). */
  hsts: Duration('180d'),
  /** Proxies whose X-Forwarded-For/-Proto/-Host/-Prefix are believed; from anyone else those headers change nothing. */
  trustProxy: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$', description: 'an IP address or CIDR range' }), { default: [] }),
  /** The path the gateway lives under when a front server passes it on unstripped (`/apps/login` reaches /login). */
  basePath: Type.Optional(Type.String({ pattern: PATH_PREFIX, description: 'a path prefix such as /apps, without a trailing slash' })),
  /** Who says who the user is: the login form (`form`), or a front server that authenticated the request (`header`). */
  auth: Type.Object({
    mode: Type.Union([Type.Literal('form'), Type.Literal('header')], { default: 'form' }),
    header: Type.String({ pattern: '^[A-Za-z0-9-]+$', default: 'x-remote-user', description: 'a header name such as X-Remote-User' })
  }, { additionalProperties: false, default: {} }),
  /** A plain-HTTP listener that answers every request with a redirect to the HTTPS listener. */
  httpRedirect: Type.Optional(Type.Object({
    listen: Type.String({ pattern: LISTEN, description: 'HOST:PORT' }),
    /** Where to: by default the request's own host name (when the certificate covers it) on the HTTPS listener's port. */
    origin: Type.Optional(Type.String({ pattern: '^https://([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?$', description: 'an https:// origin such as https://example.com or https://example.com:8443' })),
    status: Type.Union([Type.Literal(301), Type.Literal(308)], { default: 308 })
  }, { additionalProperties: false })),
  /** Several hosts (`sessiond supervisor`, `sessiond gateway`): see docs/deploy/cluster.md. `sessiond start` ignores it. */
  cluster: Type.Optional(ClusterSchema),
  realms: Type.Array(RealmSchema, { default: [] })
}, { additionalProperties: false })

type Decoded = StaticDecode<typeof ConfigSchema>
export type RealmConfig = Decoded['realms'][number]
export type Config = Readonly<Omit<Decoded, 'users' | 'httpRedirect' | 'store' | 'metrics'> & {
  metrics: { listen?: { host: string, port: number } }
  file: string
  host: string
  port: number
  users: { source: 'file' | 'pam', file: string, demo?: string, service: string }
  store: Omit<Decoded['store'], 'protocolListen'> & { protocolListen?: string }
  httpRedirect?: { host: string, port: number, origin?: string, status: 301 | 308 }
}>

/** What deployments override without editing the file: flags first, then environment. */
export interface ConfigOverrides {
  listen?: string
  dataDir?: string
  storeUrl?: string
  /** sessiond supervisor: this host's id, its listener and advertised URL (--host/SESSIOND_HOST, --cluster-listen, --advertise/SESSIOND_ADVERTISE). */
  cluster?: { host?: string, listen?: string, advertise?: string }
}

function expected (schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  const consts = (schema.anyOf as TSchema[] | undefined)?.map(s => s.const)
  if (consts?.every(c => c !== undefined)) return `one of ${consts.map(c => JSON.stringify(c)).join(', ')}`
  if (schema.description) return schema.description
  if (schema.pattern) return `a string matching ${schema.pattern}`
  if (schema.type) return `${schema.type === 'object' ? 'an' : 'a'} ${schema.type}` + (schema.minimum !== undefined ? ` >= ${schema.minimum}` : '')
  return 'a valid value'
}

/** A value as an error message quotes it: whole when short, cut when a file holds something huge. */
function shown (value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing'
  return text.length > 120 ? `${text.slice(0, 100)}… (${text.length} characters)` : text
}

function problems (value: unknown): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const e of Value.Errors(ConfigSchema, value)) {
    const path = e.path || '/'
    if (seen.has(path)) continue
    seen.add(path)
    const unexpected = e.message.startsWith('Unexpected property')
    out.push(unexpected
      ? `${path}: unknown key`
      : `${path}: expected ${expected(e.schema)}, got ${shown(e.value)}`)
  }
  return out
}

function fail (file: string, issues: string[]): never {
  throw new ConfigError(`invalid config ${file}:\n  ${issues.join('\n  ')}`)
}

/**
 * Reads, validates and freezes the config. Every problem is reported at
 * once, each with the file, the path inside it and what was expected.
 * Relative paths in the file are relative to the file; overrides to the
 * working directory.
 */
export function loadConfig (file: string, overrides: ConfigOverrides = {}): Config {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`, { cause: err })
  }
  let raw: unknown
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true }) ?? {}
  } catch (err) {
    fail(path, [(err as Error).message.split('\n')[0]])
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) fail(path, ['/: expected a mapping of settings'])
  const base = dirname(path)
  const fromFile = raw as Record<string, unknown>
  const merged = {
    ...fromFile,
    ...(overrides.listen !== undefined && { listen: overrides.listen }),
    ...(overrides.dataDir !== undefined && { dataDir: resolve(overrides.dataDir) }),
    // A store URL from outside the file means Redis: the deployment moved the sessions there.
    ...(overrides.storeUrl !== undefined && {
      store: { ...(isMapping(fromFile.store) && fromFile.store), kind: 'redis', url: overrides.storeUrl }
    }),
    // A host's own part of a cluster file shared by every host.
    ...(overrides.cluster !== undefined && isMapping(fromFile.cluster) && {
      cluster: { ...fromFile.cluster, ...Object.fromEntries(Object.entries(overrides.cluster).filter(([, v]) => v !== undefined)) }
    })
  }
  if (fromFile.dataDir === undefined && overrides.dataDir === undefined) merged.dataDir = resolve('.sessiond')

  const withDefaults = Value.Default(ConfigSchema, structuredClone(merged))
  const issues = problems(withDefaults)
  if (issues.length > 0) fail(path, issues)
  const cfg = Value.Decode(ConfigSchema, withDefaults)

  const names = new Set<string>()
  const mounts = new Set<string>()
  cfg.realms.forEach((realm, i) => {
    if (names.has(realm.name)) issues.push(`/realms/${i}/name: expected a unique name, got ${JSON.stringify(realm.name)} twice`)
    // Realms on different hosts may share a mount.
    const where = `${realm.host ?? '*'} ${realm.mount}`
    if (mounts.has(where)) issues.push(`/realms/${i}/mount: expected a unique mount, got ${JSON.stringify(realm.mount)} twice${realm.host ? ` on ${realm.host}` : ''}`)
    if (RESERVED_PATHS.some(p => realm.mount === p || realm.mount.startsWith(p + '/'))) {
      issues.push(`/realms/${i}/mount: expected a path outside ${RESERVED_PATHS.join(', ')}, got ${JSON.stringify(realm.mount)}`)
    }
    names.add(realm.name)
    mounts.add(where)
    if (realm.whenRoot?.runAs !== undefined) {
      if (realm.kind === 'thread') issues.push(`/realms/${i}/whenRoot/runAs: expected kind process or exec (a thread runs as the daemon), got kind thread`)
      else if (realm.runAs !== undefined) issues.push(`/realms/${i}/whenRoot/runAs: expected either runAs or whenRoot.runAs, got both`)
      else if (RUNNING_AS_ROOT) realm.runAs = realm.whenRoot.runAs
    }
    for (const [key, what] of workerKind(realm.kind).validate(realm)) {
      const value = (realm as Record<string, unknown>)[key]
      issues.push(`/realms/${i}/${key}: expected ${what}, got ${value === undefined ? 'nothing' : shown(value)}`)
    }
    if (realm.handler !== undefined) {
      const handler = isAbsolute(realm.handler) ? realm.handler : resolve(base, realm.handler)
      if (!existsSync(handler)) issues.push(`/realms/${i}/handler: expected an existing module, got ${JSON.stringify(realm.handler)} (${handler})`)
      realm.handler = pathToFileURL(handler).href
    }
  })
  const { headersTimeout, requestTimeout } = cfg.limits
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    issues.push(`/limits/headersTimeout: expected at most requestTimeout (${requestTimeout} ms), got ${headersTimeout} ms`)
  }
  if (cfg.cluster) {
    // One Redis for the store and the cluster: a store elsewhere would put sessions where the fences are not.
    const fileStore: Record<string, unknown> = isMapping(merged.store) ? merged.store : {}
    if (fileStore.kind !== undefined && fileStore.kind !== 'redis') issues.push(`/store/kind: expected "redis" (or nothing) with a cluster section, got ${shown(fileStore.kind)}`)
    if (fileStore.url !== undefined && fileStore.url !== cfg.cluster.redis) issues.push(`/store/url: expected cluster.redis (${safeRedisUrl(cfg.cluster.redis)}) or nothing with a cluster section, got another URL`)
    cfg.store = { ...cfg.store, kind: 'redis', url: cfg.store.url ?? cfg.cluster.redis }
  }
  if (cfg.store.kind === 'redis' && cfg.store.url === undefined) issues.push('/store/url: expected a redis:// URL when store.kind is redis (or SESSIOND_STORE_URL)')
  const header = cfg.auth.header.toLowerCase()
  if (cfg.auth.mode === 'header') {
    // Without a trusted front server anyone could name themselves in the header.
    if (cfg.trustProxy.length === 0) issues.push('/trustProxy: expected the front server\'s address when auth.mode is header, got none')
    if (GATEWAY_HEADERS.includes(header)) issues.push(`/auth/header: expected a header of the front server's own, not one the gateway reads or sets, got ${JSON.stringify(cfg.auth.header)}`)
  }
  if (cfg.users.source === 'pam') {
    // The system's accounts are the users: there is no file to read, nor a demo user to make in it.
    if (cfg.users.file !== undefined) issues.push(`/users/file: expected no users file with users.source pam, got ${JSON.stringify(cfg.users.file)}`)
    if (cfg.users.demo !== undefined) issues.push(`/users/demo: expected no demo user with users.source pam (log in with a system account), got ${JSON.stringify(cfg.users.demo)}`)
  }
  if (cfg.httpRedirect && !cfg.tls) issues.push('/httpRedirect: expected tls to be set too (the redirect goes to the HTTPS listener)')
  if (issues.length > 0) fail(path, issues)

  const { host, port } = listenAddress(path, '/listen', cfg.listen)
  const httpRedirect = cfg.httpRedirect && { ...cfg.httpRedirect, ...listenAddress(path, '/httpRedirect/listen', cfg.httpRedirect.listen) }
  const metrics = { ...(cfg.metrics.listen !== undefined && { listen: listenAddress(path, '/metrics/listen', cfg.metrics.listen) }) }
  if (cfg.store.protocolListen !== undefined) listenAddress(path, '/store/protocolListen', cfg.store.protocolListen)
  const dataDir = isAbsolute(cfg.dataDir) ? cfg.dataDir : resolve(base, cfg.dataDir)
  const tls = cfg.tls && { ...cfg.tls, cert: resolve(base, cfg.tls.cert), key: resolve(base, cfg.tls.key) }
  const usersFile = cfg.users.file === undefined ? resolve(dataDir, 'users.json') : resolve(base, cfg.users.file)
  const cluster = cfg.cluster && {
    ...cfg.cluster,
    auth: cfg.cluster.auth.mode === 'mtls'
      ? { ...cfg.cluster.auth, ca: resolve(base, cfg.cluster.auth.ca), cert: resolve(base, cfg.cluster.auth.cert), key: resolve(base, cfg.cluster.auth.key) }
      : { ...cfg.cluster.auth, secret: resolve(base, cfg.cluster.auth.secret) }
  }
  return deepFreeze({
    ...cfg,
    file: path,
    host,
    port,
    dataDir,
    tls,
    // Present even when absent, as undefined: every loaded config has the same keys (running-config.ts).
    basePath: cfg.basePath,
    auth: { ...cfg.auth, header },
    httpRedirect,
    metrics,
    users: { ...cfg.users, file: usersFile },
    // Present even when absent, as undefined: every loaded config has the same keys (running-config.ts).
    cluster,
    store: (({ protocolListen, ...rest }) => ({ ...rest, ...(protocolListen !== undefined && { protocolListen: String(protocolListen) }) }))(cfg.store)
  })
}

/** The one HOST:PORT parser (parseListenAddress), its complaint reported with the file and the key. */
function listenAddress (file: string, key: string, listen: string | number): { host: string, port: number } {
  try {
    return parseListenAddress(listen)
  } catch (err) {
    fail(file, [`${key}: ${(err as Error).message}`])
  }
}

/** A Redis URL without its password, for messages. */
function safeRedisUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.href
  } catch {
    // Not a URL (the schema says it is one; this is only a message).
    return 'an invalid URL'
  }
}

/** An object of named values (a YAML mapping): not a list, not a scalar. */
export function isMapping (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function deepFreeze<T> (o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
