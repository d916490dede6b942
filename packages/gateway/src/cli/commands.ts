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

export const USER_USAGE = 'sessiond user add NAME --password-stdin [--replace] [--config FILE | --data DIR | --users FILE]'
export const USER_HELP = `${USER_USAGE}

Adds a user to the users file (scrypt hashes, mode 0600); a running daemon
sees the change at the next login. The password is read from stdin, never
from the command line. With users.source pam there is no users file: the
system's accounts are the users.

  --password-stdin   read the password from stdin (required)
  --replace          set the password of a user that exists
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
