// A supervisor host's half of a WebSocket in a cluster: the worker's socket
// channel on one side, the gateway's connection (a channel over the stream,
// stream-port.ts) on the other, each direction under the other's window.
//
//   worker ── frames ──▶ wire.send ── false ──▶ worker.pause() until the wire's 'drain'
//   wire   ── frames ──▶ worker.send ── false ──▶ wire.pause() until the worker's 'drain'
//   worker closes parked ──▶ wire.park(attachment, unsent): the frames the worker
//                            never got (its held ones, then what waits on the wire)
//                            go back to the gateway for the worker that resumes
//
// A frame the gateway sent within the round trip of a park reaches this host
// after it: that one is lost (docs/web-sockets.md).
import type { SocketChannel, SocketData } from '@sessiond/worker-sdk/transport'
import type { WorkerSocket } from '../dispatcher.ts'

export function bridgeSockets (worker: WorkerSocket, wire: SocketChannel): void {
  const toWire = (data: SocketData) => {
    if (wire.state === 'open' && !wire.send(data)) worker.pause()
  }
  const toWorker = (data: SocketData) => {
    if (worker.state === 'open' && !worker.send(data)) wire.pause()
  }
  worker.on('message', toWire)
  wire.on('message', toWorker)
  wire.on('drain', () => worker.resume())
  worker.on('drain', () => wire.resume())
  worker.once('close', (close) => {
    if (wire.state !== 'open') return
    if (close.parked) {
      const unsent = [...close.unsent ?? []]
      wire.off('message', toWorker)
      // What the wire received and held back while the worker was full: delivered now, to go back.
      wire.on('message', data => unsent.push(data))
      wire.resume()
      wire.park(close.parked.attachment, close.code, close.reason, unsent)
      return
    }
    if (close.error) wire.abort(close.error)
    else wire.close(close.code, close.reason)
  })
  wire.once('close', (close) => {
    if (worker.state !== 'open') return
    if (close.error) worker.abort(close.error)
    else worker.close(close.code, close.reason)
  })
}
