// How gateways and supervisors know each other: one of two modes, named in
// the config's cluster.auth.
//
//   mtls: every host has a certificate from the cluster's CA (`sessiond cert
//         --ca`, then one per host); its subject's OU says its role
//         (sessiond-gateway, sessiond-supervisor) and its CN its host id. A
//         supervisor takes calls only over TLS from a verified gateway
//         certificate; a gateway talks to a supervisor only when the
//         certificate it presents is that member's own (CN = host id). TLS
//         authenticates every record, so the call header travels signed.
//   hmac: a shared secret file (mode 0600). Each call header is signed with
//         HMAC-SHA256 over the method and the header, carries its time and a
//         nonce, and is refused outside ±30 s or when its nonce was seen; the
//         supervisor's answer is signed over that nonce and its status, so a
//         gateway also knows it reached a member. The bodies are not covered
//         and nothing is encrypted: keep hmac to a private network.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { X509Certificate } from 'node:crypto'
import type { Socket } from 'node:net'
import type { ConnectionOptions, PeerCertificate, TLSSocket } from 'node:tls'
import { ClusterAuthError } from '../errors.ts'

export const GATEWAY_ROLE = 'sessiond-gateway'
export const SUPERVISOR_ROLE = 'sessiond-supervisor'

export type ClusterAuth =
  | { mode: 'hmac', secret: Buffer }
  | { mode: 'mtls', ca: Buffer, cert: Buffer, key: Buffer }

/** How far a signed call's time may be from the supervisor's clock. */
const SKEW_MS = 30_000

/** Nonces seen within twice the skew: a call replayed within its window is refused. */
class NonceCache {
  #seen = new Map<string, number>()
  #sweptAt = 0

  /** True the first time a nonce is seen. */
  fresh (nonce: string, now: number): boolean {
    if (now - this.#sweptAt > 1000) {
      for (const [n, at] of this.#seen) if (now - at > 2 * SKEW_MS) this.#seen.delete(n)
      this.#sweptAt = now
    }
    if (this.#seen.has(nonce)) return false
    this.#seen.set(nonce, now)
    return true
  }
}

function mac (secret: Buffer, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url')
}

function equal (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** A fresh nonce for a call. */
export function nonce (): string {
  return randomBytes(12).toString('base64url')
}

/** The gateway's end: signs calls, checks answers, and names the TLS options of its connections. */
export class CallSigner {
  readonly #auth: ClusterAuth

  constructor (auth: ClusterAuth) {
    this.#auth = auth
  }

  get scheme (): 'https' | 'http' {
    return this.#auth.mode === 'mtls' ? 'https' : 'http'
  }

  /** The signature header's value for a call, or undefined when TLS authenticates it. */
  sign (method: string, callHeader: string): string | undefined {
    return this.#auth.mode === 'hmac' ? mac(this.#auth.secret, `${method}\n${callHeader}`) : undefined
  }

  /** Whether an answer came from a member holding the secret (always, under mutual TLS: the handshake said so). */
  answerIsGenuine (n: string, status: number, errorHeader: string | undefined, reply: string | undefined): boolean {
    if (this.#auth.mode !== 'hmac') return true
    return reply !== undefined && equal(reply, mac(this.#auth.secret, `reply\n${n}\n${status}\n${errorHeader ?? ''}`))
  }

  /** TLS options for connections to member `host`: the cluster's CA, this gateway's certificate, and that member's own name. */
  connectOptions (host: string): ConnectionOptions | undefined {
    if (this.#auth.mode !== 'mtls') return undefined
    return {
      ca: this.#auth.ca,
      cert: this.#auth.cert,
      key: this.#auth.key,
      // The address may be any IP; what matters is that the certificate is this member's, issued by the cluster's CA.
      checkServerIdentity: (_name: string, cert: PeerCertificate) => {
        if (cert.subject?.CN === host && cert.subject?.OU === SUPERVISOR_ROLE) return undefined
        return new ClusterAuthError(`the supervisor at this address presented a certificate for ${cert.subject?.CN ?? 'nobody'} (${cert.subject?.OU ?? 'no role'}), not for ${host}`)
      }
    }
  }
}

/** The supervisor's end: checks each call and signs its answers. */
export class CallVerifier {
  readonly #auth: ClusterAuth
  readonly #nonces = new NonceCache()
  readonly #peers = new WeakMap<Socket, boolean>()

  constructor (auth: ClusterAuth) {
    this.#auth = auth
  }

  /** The TLS server options (mtls): only certificates from the cluster's CA complete a handshake. */
  serverOptions (): { ca: Buffer, cert: Buffer, key: Buffer, requestCert: true, rejectUnauthorized: true } | undefined {
    if (this.#auth.mode !== 'mtls') return undefined
    return { ca: this.#auth.ca, cert: this.#auth.cert, key: this.#auth.key, requestCert: true, rejectUnauthorized: true }
  }

  /** Throws SUP_ERR_CLUSTER_AUTH unless the call comes from an authenticated gateway, signed, fresh and first. */
  check (socket: Socket, method: string, callHeader: string, signature: string | undefined, call: { ts: number, n: string }): void {
    if (this.#auth.mode === 'mtls') {
      let ok = this.#peers.get(socket)
      if (ok === undefined) {
        const tls = socket as TLSSocket
        const cert = tls.authorized ? tls.getPeerCertificate() : undefined
        ok = cert?.subject?.OU === GATEWAY_ROLE
        this.#peers.set(socket, ok)
      }
      if (!ok) throw new ClusterAuthError('the peer\'s certificate is not a gateway\'s')
      return
    }
    if (signature === undefined || !equal(signature, mac(this.#auth.secret, `${method}\n${callHeader}`))) throw new ClusterAuthError('the call is not signed with the cluster\'s secret')
    const now = Date.now()
    if (Math.abs(now - call.ts) > SKEW_MS) throw new ClusterAuthError('the call\'s time is too far from this host\'s clock')
    if (!this.#nonces.fresh(call.n, now)) throw new ClusterAuthError('the call was replayed')
  }

  /** The answer's signature (hmac), over the call's nonce, the status and the error header. */
  signAnswer (n: string, status: number, errorHeader: string | undefined): string | undefined {
    return this.#auth.mode === 'hmac' ? mac(this.#auth.secret, `reply\n${n}\n${status}\n${errorHeader ?? ''}`) : undefined
  }
}

/** The role and host id a certificate was issued for (cluster-cert.ts writes them as OU and CN). */
export function certificateRole (cert: X509Certificate): { role?: string, host?: string } {
  const fields = Object.fromEntries(cert.subject.split('\n').map(l => l.split('=', 2) as [string, string]))
  return { role: fields.OU, host: fields.CN }
}
