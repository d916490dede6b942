import type { MessagePort } from 'node:worker_threads'
import type { Logger } from 'pino'
import { PortClient, SocketChannel } from '@sessiond/worker-sdk/transport'
import type { ControlFromWorker, ProtocolError, StoreCallMessage } from '@sessiond/worker-sdk/transport'
import type { ReleasableSessionData } from '@sessiond/worker-sdk/internal'
import type { WorkerRealm } from '../config.ts'
import type { UpgradeResult } from '../dispatcher.ts'
import type { WorkerUpgrade } from './worker-kind.ts'

export interface WorkerPortOptions {
  realm: WorkerRealm
  /** The worker's logger now (a spare learns its session when it is claimed). */
  log: () => Logger
  onControl: (m: ControlFromWorker) => void
  /** The session's data once the worker is claimed; store calls before that are refused. */
  store: () => ReleasableSessionData | null
  /** The worker broke the protocol: it is gone. */
  onBroken: (err: ProtocolError) => void
  /** A request's head did not come within the realm's requestTimeout. */
  onTimeout: (fail: (err: Error) => void) => void
}

/**
 * The supervisor end of a worker's port, as both in-process kinds (thread,
 * context) use it: store calls run against the worker's own session only,
 * and a peer that breaks the protocol is logged and ends the worker.
 */
export function workerPortClient (port: MessagePort, { realm, log, onControl, store, onBroken, onTimeout }: WorkerPortOptions): PortClient {
  return new PortClient(port, {
    onControl,
    onStoreCall: async (m: StoreCallMessage) => {
      const data = store()
      if (!data) throw new Error('store call before the worker was claimed')
      const fn = data[m.op] as (...args: string[]) => Promise<unknown>
      return fn.apply(data, m.args)
    },
    onProtocolError: (err) => {
      log().error({ err }, 'worker broke the protocol')
      onBroken(err)
    },
    timeout: { ms: realm.requestTimeout, onTimeout }
  })
}

/**
 * A WebSocket handshake offered to an in-process worker over its port: the
 * socket channel when its handler takes it (its queue limited to the
 * realm's send buffer), its ordinary answer when not.
 */
export async function upgradePortClient (client: PortClient, { method, url, headers, resumed, sendBuffer }: WorkerUpgrade): Promise<UpgradeResult> {
  const answer = await client.upgrade({ method, url, headers, ...(resumed && { resumed }) })
  if (!(answer instanceof SocketChannel)) return { type: 'refused', response: answer }
  answer.queueLimit = sendBuffer
  return { type: 'socket', socket: answer }
}
