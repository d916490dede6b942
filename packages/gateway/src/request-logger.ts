import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * `request.log` made only when something logs. Fastify gives every request
 * a child logger bound to its id; a pino child costs a copy of the
 * bindings, the serializers and the redaction (2.8 % of the gateway's main
 * thread under the request-path load, bench/request-path.ts --cpu-prof),
 * and on the hot path nothing logs: the child is made on the first call at
 * a level that is enabled, and never otherwise.
 */
export class RequestLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #opts: ChildLoggerOptions
  #child: Logger | null = null

  constructor (parent: Logger, bindings: Bindings, opts: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#opts = opts
  }

  get level (): string { return this.#child?.level ?? this.#parent.level }
  set level (level: string) { this.#real().level = level }

  #real (): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#opts)
    return this.#child
  }

  #log (level: Level, args: unknown[]): void {
    if (!this.#parent.isLevelEnabled(level)) return
    ;(this.#real()[level] as (...a: unknown[]) => void)(...args)
  }

  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (): void {}
  isLevelEnabled (level: string): boolean { return this.#parent.isLevelEnabled(level) }
  child (bindings: Bindings, opts?: ChildLoggerOptions): Logger { return this.#real().child(bindings, opts) }
  bindings (): Bindings { return this.#child?.bindings() ?? { ...this.#parent.bindings(), ...this.#bindings } }
}

/** Fastify's `childLoggerFactory`: a RequestLogger in place of an eager pino child. */
export function lazyChildLogger (this: unknown, logger: Logger, bindings: Bindings, opts: ChildLoggerOptions): RequestLogger {
  return new RequestLogger(logger, bindings, opts)
}
