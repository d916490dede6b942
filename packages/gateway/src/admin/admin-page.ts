import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RealmConfig } from '../config.ts'
import { csrfToken } from '../csrf-guard.ts'
import { escapeHtml } from '../html.ts'
import { WORKER_STATES } from '@sessiond/supervisor'
import { requireAdmin } from './admin-auth.ts'
import type { AdminCaller } from './admin-auth.ts'
import { ADMIN_CSS, ADMIN_JS } from './admin-page-script.ts'

export const ADMIN_PAGE = '/_sessiond/admin/'

export interface AdminPageOptions {
  caller: (request: FastifyRequest) => Promise<AdminCaller>
  realms: () => readonly RealmConfig[]
}

function shell (prefix: string, csrf: string, who: string, realms: readonly RealmConfig[]): string {
  const e = escapeHtml
  const realmOptions = realms.map(r => `<option value="${e(r.name)}">${e(r.name)}</option>`).join('')
  const stateOptions = WORKER_STATES.map(s => `<option value="${s}">${s}</option>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sessiond-prefix" content="${e(prefix)}"><meta name="sessiond-csrf" content="${e(csrf)}">
<title>Admin · sessiond</title>
<link rel="stylesheet" href="${e(prefix)}/_sessiond/admin/admin.css">
<script src="${e(prefix)}/_sessiond/admin/admin.js" defer></script>
</head><body>
<nav><a href="${e(prefix)}/">Home</a><a href="${e(prefix)}/_sessiond/metrics">Metrics</a><button type="button" id="reload">Reload config</button><span class="who">${e(who)} · <span id="updated">connecting…</span></span></nav>
<h1>sessiond</h1>
<p id="message" role="status"></p>
<div class="filters">
<label>User <input id="f-user" autocomplete="off"></label>
<label>Realm <select id="f-realm"><option value="">all</option>${realmOptions}</select></label>
<label>State <select id="f-state"><option value="">all</option>${stateOptions}</select></label>
</div>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>User</th><th>Realm</th><th>Kind</th><th>State</th><th>Process</th><th>uid:gid</th><th>Age</th><th>Last request</th><th>Requests</th><th>In flight / queued</th><th>Memory</th><th>CPU</th><th>Restarts</th><th>Session</th><th></th></tr></thead>
<tbody id="workers-body"></tbody></table>
<h2>Sessions</h2>
<table id="sessions"><thead><tr><th>Session</th><th>User</th><th>Created</th><th>Last seen</th><th>Expires</th><th>Workers</th><th></th></tr></thead>
<tbody id="sessions-body"></tbody></table>
</body></html>
`
}

/**
 * The admin page: a shell the server renders, filled and kept current by its
 * script over server-sent events (admin-api.ts /events), no reload. Its CSP
 * allows scripts, styles and connections from this origin only: no inline
 * code at all. The same access rules as the API: a browser without a login
 * goes to the form, a user outside the admin group gets 403.
 */
export async function adminPage (app: FastifyInstance, { caller, realms }: AdminPageOptions): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"]
      }
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' }
  })
  const read = requireAdmin(caller, 'read')
  app.get(ADMIN_PAGE, async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await read(request, reply)
    } catch (err) {
      if ((err as { code?: string }).code === 'GW_ERR_ADMIN_REQUIRED' && request.headers.accept?.includes('text/html')) {
        return reply.redirect(`${request.publicPrefix}/login?next=${encodeURIComponent(request.publicPrefix + ADMIN_PAGE)}`, 302)
      }
      throw err
    }
    reply.header('cache-control', 'no-store')
    return reply.type('text/html; charset=utf-8').send(shell(request.publicPrefix, csrfToken(request), request.adminCaller!.who, realms()))
  })
  app.get('/_sessiond/admin', (request, reply) => reply.redirect(request.publicPrefix + ADMIN_PAGE, 308))
  app.get('/_sessiond/admin/admin.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(ADMIN_JS))
  app.get('/_sessiond/admin/admin.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(ADMIN_CSS))
}
