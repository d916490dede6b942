// The CLI's commands: names, usage and help, and where each one's code is.
// Help is answered from this file alone: a command's module (and the daemon
// behind `start`) loads only when that command runs.

export const START_USAGE = 'sessiond start --config FILE [--listen HOST:PORT] [--data DIR]'
export const START_HELP = `${START_USAGE}

Starts the daemon: the gateway, the embedded supervisor and the session store,
in one process. Prints "sessiond listening on URL" (the real port when given
port 0), stops cleanly on SIGINT and SIGTERM and reloads the config on SIGHUP.
Refuses to start (exit status 78) on an invalid config or a handler whose
imports cannot be resolved.

  -c, --config FILE        the config file (YAML or JSON), relative to this directory
  -l, --listen HOST:PORT   overrides listen (also SESSIOND_LISTEN)
  -d, --data DIR           overrides dataDir (also SESSIOND_DATA)
  -h, --help               this text

SESSIOND_STORE_URL=redis://… moves the store to Redis.`

export const CHECK_USAGE = 'sessiond check --config FILE [--data DIR]'
export const CHECK_HELP = `${CHECK_USAGE}

Validates the config file (every problem at once, with the file, the key and
what was expected: exit status 78) and loads every realm's handler without
serving: each handler's imports are resolved and loaded, and handlers of
realms without runAs are run once to check that they export a handler. An exec
realm's command must be found. Prints one line per realm; exit status 1 when
a handler cannot load, naming the module and the path.

  -c, --config FILE   the config file (YAML or JSON), relative to this directory
  -d, --data DIR      the data directory, as for start
  -h, --help          this text`

export const INIT_USAGE = 'sessiond init DIR [--name NAME] [--force]'
export const INIT_HELP = `${INIT_USAGE}

Scaffolds a realm in DIR (made if missing; relative to this directory): a
handler, its test (which starts the real daemon), sessiond.yaml, package.json
and tsconfig.json. @sessiond/worker-sdk is linked from this sessiond's own
copy, so the realm starts at once:

  sessiond start --config DIR/sessiond.yaml
  cd DIR && node --test handler.test.ts

  --name NAME   the realm's name and mount (default: DIR's name)
  --force       write into a directory that is not empty
  -h, --help    this text`

export const USER_USAGE = 'sessiond user add NAME --password-stdin [--replace] [--group G…] | list | remove NAME | groups NAME [--add G…] [--remove G…] [--set G,G] [--config FILE | --data DIR | --users FILE]'
export const USER_HELP = `${USER_USAGE}

Manages the users file (scrypt hashes, mode 0600); a running daemon sees a
change at the user's next request. With users.source pam there is no users
file: the system's accounts and groups are the users.

  add NAME           add a user; the password is read from stdin, never from the command line
    --password-stdin read the password from stdin (required)
    --replace        set the password of a user that exists
    -g, --group G    the user's groups (repeatable): admin opens the admin API and page
  list               every user and their groups, one a line
  remove NAME        remove a user (their open sessions go on: sessiond sessions end NAME)
  groups NAME        print the user's groups, or change them:
    --add G          add a group (repeatable)
    --remove G       remove a group (repeatable)
    --set G,G        set the groups to exactly these
  -c, --config FILE  the users file of this config
  -d, --data DIR     DIR/users.json (default: ./.sessiond, or SESSIOND_DATA)
  --users FILE       this users file
  -h, --help         this text`

export const CERT_USAGE = 'sessiond cert --out DIR --name HOST [--name HOST …] [--days N] [--ca]'
export const CERT_HELP = `${CERT_USAGE}

Makes a server certificate for tls.cert / tls.key: DIR/cert.pem and
DIR/key.pem (mode 0600), ECDSA P-256, by the system's openssl. It is a leaf
(CA:FALSE, serverAuth) for the names given plus localhost, 127.0.0.1 and ::1;
the first name is its CN. Self-signed, unless --ca: then a CA is made too
(DIR/ca.pem, DIR/ca-key.pem) and signs it, so that browsers and curl can
trust ca.pem once (curl --cacert DIR/ca.pem).

  -o, --out DIR     where the files go (made with mode 0700)
  -n, --name HOST   a host name or address, repeatable
  --days N          validity (default 825)
  --ca              make a CA and sign the certificate with it
  -h, --help        this text`

export const KEYS_USAGE = 'sessiond keys rotate [--keep N] [--config FILE | --data DIR]'
export const KEYS_HELP = `${KEYS_USAGE}

Puts a new cookie key first in DATA/cookie.key and keeps the N newest (2 by
default): after a restart, cookies sealed with a kept older key still open
and are re-sealed; cookies under a dropped key are refused.

  --keep N           keys kept, the new one included (default 2)
  -c, --config FILE  the data directory of this config
  -d, --data DIR     the data directory (default ./.sessiond, or SESSIOND_DATA)
  -h, --help         this text`

/** What every command that reaches a running daemon says of how it finds it. */
const REACHES = `It reaches the daemon over its control socket, DATA/control.sock (mode 0600:
the daemon's own user and root only), so it needs no network listener.

  -c, --config FILE  the data directory of this config
  -d, --data DIR     the data directory (default ./.sessiond, or SESSIOND_DATA)
  -h, --help         this text`

export const STATUS_USAGE = 'sessiond status [--json] [--config FILE | --data DIR]'
export const STATUS_HELP = `${STATUS_USAGE}

Prints what runs, per realm: each worker's pid or thread, user, state, age,
last request, requests served, in flight and queued, and memory (RSS for a
child, heap for a thread); then totals. --json prints the same as one object
for scripts: { realms, workers, sessions }, each worker with realm, user,
state, kind and the rest.

  --json             JSON instead of text
${REACHES}`

export const STOP_USAGE = 'sessiond stop [--config FILE | --data DIR]'
export const STOP_HELP = `${STOP_USAGE}

Stops the daemon as SIGTERM does: in-flight requests finish, every worker
hibernates and stops, then it exits.

${REACHES}`

export const RELOAD_USAGE = 'sessiond reload [--config FILE | --data DIR]'
export const RELOAD_HELP = `${RELOAD_USAGE}

Re-reads the config file as SIGHUP does and prints what changed; an invalid
file is refused with the file, the key and what was expected, and the
running config goes on.

${REACHES}`

export const WORKERS_USAGE = 'sessiond workers stop USER [REALM] [--config FILE | --data DIR]'
export const WORKERS_HELP = `${WORKERS_USAGE}

Stops every worker of USER (in REALM only, when given), without hibernating:
the user's next request starts a fresh one. Their sessions stay logged in.

${REACHES}`

export const SESSIONS_USAGE = 'sessiond sessions end USER [--config FILE | --data DIR]'
export const SESSIONS_HELP = `${SESSIONS_USAGE}

Ends every session of USER (logs them out everywhere); their workers stop.

${REACHES}`

export const ADMIN_USAGE = 'sessiond admin token create NAME [--scope read|act] | list | revoke NAME [--config FILE | --data DIR]'
export const ADMIN_HELP = `${ADMIN_USAGE}

Bearer tokens for the admin API (/_sessiond/admin/api/v1) and
/_sessiond/metrics: "Authorization: Bearer <token>". create prints the token
once; DATA/admin-tokens.json (mode 0600) keeps only its SHA-256. A running
daemon sees a new or revoked token at its next request.

  create NAME        a new token named NAME
    --scope read     GET only: sessions, workers, status, metrics (the default)
    --scope act      also the actions: stop, hibernate, restart, end sessions, reload
  list               the tokens' names, scopes and creation times
  revoke NAME        the token stops working
  -c, --config FILE  the data directory of this config
  -d, --data DIR     the data directory (default ./.sessiond, or SESSIOND_DATA)
  -h, --help         this text`
