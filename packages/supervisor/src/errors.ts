import createError from '@fastify/error'

export const UnknownRealmError = createError('SUP_ERR_UNKNOWN_REALM', 'no realm named %s', 404)
export const SessionNotFoundError = createError('SUP_ERR_NO_SESSION', 'session does not exist or has expired', 401)
export const WorkerStartError = createError('SUP_ERR_WORKER_START', 'worker for realm %s failed to start', 502)
export const WorkerStartTimeoutError = createError('SUP_ERR_WORKER_START_TIMEOUT', 'worker for realm %s did not start within %d ms', 504)
export const WorkerExitedError = createError('SUP_ERR_WORKER_EXITED', 'worker for realm %s exited', 502)
export const WorkerStoppedError = createError('SUP_ERR_WORKER_STOPPED', 'worker for realm %s is stopping', 503)
export const SupervisorClosedError = createError('SUP_ERR_CLOSED', 'supervisor is shutting down', 503)
export const WorkerTimeoutError = createError('SUP_ERR_WORKER_TIMEOUT', 'worker for realm %s did not answer within %d ms', 504)
export const WorkerBackoffError = createError('SUP_ERR_WORKER_BACKOFF', 'worker for realm %s keeps crashing; retry later', 503)

/** Seconds a client should wait, carried to the gateway's Retry-After header. */
export function withRetryAfter<E extends Error> (err: E, seconds: number): E & { retryAfter: number } {
  return Object.assign(err, { retryAfter: Math.max(1, Math.ceil(seconds)) })
}
export const SocketPathTooLongError = createError('SUP_ERR_SOCKET_PATH', 'socket path %s is longer than %d bytes: use a shorter data directory', 500)
export const RunAsNeedsRootError = createError('SUP_ERR_RUN_AS_NEEDS_ROOT', 'realm %s sets runAs, which needs the supervisor to run as root', 500)
export const RunAsUnknownUserError = createError('SUP_ERR_RUN_AS_USER', 'no system account %s to run the worker as', 403)
export const WorkerLimitError = createError('SUP_ERR_WORKER_LIMIT', 'no room for another worker: the %s limit of %d workers is reached and none is idle', 503)
export const ClientAbortedError = createError('SUP_ERR_CLIENT_ABORTED', 'the client went away before its request body was sent', 400)
export const WorkerQueueFullError = createError('SUP_ERR_QUEUE_FULL', 'worker for realm %s is busy: %d requests in progress and %d waiting', 503)
export const WorkerQueueTimeoutError = createError('SUP_ERR_QUEUE_TIMEOUT', 'worker for realm %s stayed busy for %d ms', 503)
export const WorkerMemoryError = createError('SUP_ERR_WORKER_MEMORY', 'worker for realm %s exceeded its memory limit of %d MiB', 502)
export const SparesNeedBootableKindError = createError('SUP_ERR_SPARES_KIND', 'realm %s sets spares, which need kind context, thread or process: an exec command learns its session when it starts', 500)
export const TransientAccountsExhaustedError = createError('SUP_ERR_TRANSIENT_EXHAUSTED', 'every transient uid from %d to %d is in use', 503)
export const RealmInvalidError = createError('SUP_ERR_REALM_INVALID', 'realm %s: %s', 500)
export const ContextBundleError = createError<'SUP_ERR_CONTEXT_BUNDLE', 500, [string, string, string, ErrorOptions?]>('SUP_ERR_CONTEXT_BUNDLE', 'realm %s: kind context cannot run handler %s: %s', 500)
export const ContextThreadLostError = createError<'SUP_ERR_CONTEXT_THREAD_LOST', 502, [string, string, string, ErrorOptions?]>('SUP_ERR_CONTEXT_THREAD_LOST', 'worker for realm %s lost its shared thread (%s); %s', 502)
