// The cluster's commands (docs/deploy/cluster.md): usage and help, answered
// from this file alone, as commands.ts answers the others'.

export const SUPERVISOR_USAGE = 'sessiond supervisor --config FILE [--host ID] [--cluster-listen HOST:PORT] [--advertise URL] [--data DIR]'
export const SUPERVISOR_HELP = `${SUPERVISOR_USAGE}

Runs one host's workers in a cluster: no gateway, no login; gateways reach it
on cluster.listen, authenticated by cluster.auth. It joins the cluster with a
membership lease in the cluster's Redis and renews it; one that cannot renew
stops its workers before the lease can have run out. Prints "sessiond
supervisor ID serving gateways at URL"; SIGTERM moves its sessions to the
other hosts (as a drain), then stops; SIGHUP reloads its realms.

  -c, --config FILE           the config file, shared by every host
  --host ID                   cluster.host: this host's id (also SESSIOND_HOST)
  --cluster-listen HOST:PORT  cluster.listen (default 0.0.0.0:7100)
  --advertise URL             cluster.advertise: the URL gateways reach it at (also SESSIOND_ADVERTISE)
  -d, --data DIR              overrides dataDir (also SESSIOND_DATA)
  -h, --help                  this text`

export const GATEWAY_USAGE = 'sessiond gateway --config FILE [--listen HOST:PORT] [--data DIR]'
export const GATEWAY_HELP = `${GATEWAY_USAGE}

Runs a cluster's front: TLS, login, cookies and realm matching, with no
workers: each request goes to the supervisor host its session's placement
names. Gateways keep only caches, so any number of them serve the same
sessions; they share the cookie key (copy DATA/cookie.key to each).
Prints "sessiond gateway listening on URL".

  -c, --config FILE        the config file, shared by every host
  -l, --listen HOST:PORT   overrides listen (also SESSIOND_LISTEN)
  -d, --data DIR           overrides dataDir (also SESSIOND_DATA)
  -h, --help               this text`

export const DRAIN_USAGE = 'sessiond drain HOST --config FILE [--deadline DURATION]'
export const DRAIN_HELP = `${DRAIN_USAGE}

Moves every worker of supervisor HOST to the other hosts: each hibernates and
its session resumes on another host under a new placement; requests that
arrive meanwhile wait at the gateway and go to the new host. HOST takes no
new sessions afterwards and can then be stopped. Prints how many moved; exit
status 1 when some could not move by the deadline. With mutual TLS, run it
with a gateway's config (its certificate).

  -c, --config FILE       the cluster's config
  --deadline DURATION     how long the drain may take (default 60s)
  -h, --help              this text`

export const MIGRATE_USAGE = 'sessiond migrate SESSION REALM HOST --config FILE'
export const MIGRATE_HELP = `${MIGRATE_USAGE}

Moves one session's worker of REALM to supervisor HOST, as a drain moves
each: a thread or process worker hibernates and resumes there; an exec
worker keeps no state, so it is stopped and started afresh there.

  -c, --config FILE   the cluster's config
  -h, --help          this text`

export const CLUSTER_CERT_USAGE = 'sessiond cert --signed-by CADIR --role gateway|supervisor --host ID --out DIR [--name ADDR …] [--days N]'
export const CLUSTER_CERT_HELP = `${CLUSTER_CERT_USAGE}

A cluster host's certificate for cluster.auth mode mtls: DIR/ID.pem and
DIR/ID.key (mode 0600), issued by the CA in CADIR (ca.pem, ca-key.pem, as
"sessiond cert --ca --out CADIR --name sessiond-cluster" makes it). Its CN is
the host id and its OU the role: a supervisor takes calls only from gateway
certificates, and a gateway accepts a supervisor only with that member's own.

  --signed-by CADIR            the cluster's CA
  --role gateway|supervisor    what the host is
  --host ID                    its host id (a supervisor's cluster.host)
  -n, --name ADDR              an address or name it is reached at, repeatable
  -o, --out DIR                where the files go
  --days N                     validity (default 825)`
