#!/usr/bin/env bash
# Installs the database servers the test suite starts on loopback (test/support/databases.ts):
# PostgreSQL, MariaDB and Redis, from the Debian packages. Does nothing when their server binaries
# are already there. The packages' own system services are not started: the tests start every
# server themselves, as an unprivileged user, in a fresh directory under the temp dir.
#
#   sudo scripts/install-databases.sh
set -euo pipefail

# package -> is its server there? (the paths the test helpers look for)
have_postgresql() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_mariadb() { { [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; } && { [ -x /usr/bin/mariadb-install-db ] || [ -x /usr/bin/mysql_install_db ]; }; }
have_redis() { [ -x /usr/bin/redis-server ]; }

missing=()
have_postgresql || missing+=(postgresql)
have_mariadb || missing+=(mariadb-server)
have_redis || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "databases: postgresql, mariadb-server and redis-server are installed"
  exit 0
fi

echo "databases: missing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "databases: installing needs root. run: sudo scripts/install-databases.sh" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "databases: no apt-get here. Install ${missing[*]} (PostgreSQL, MariaDB and Redis servers) with this system's package manager." >&2
  exit 1
fi

# While installing, no package may start (or fail to start) its system service: a policy-rc.d that
# answers 101 ("action forbidden") makes invoke-rc.d and deb-systemd-invoke skip every start. One that
# is already there is put back afterwards.
policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
  backup="$(mktemp /usr/sbin/policy-rc.d.tracetape-XXXXXX)"
  cp -p "$policy" "$backup"
fi
restore_policy() {
  if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# scripts/install-databases.sh: no service starts while it installs\nexit 101\n' >"$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >/dev/null

for package in "${missing[@]}"; do
  case "$package" in
    postgresql) have_postgresql ;;
    mariadb-server) have_mariadb ;;
    redis-server) have_redis ;;
  esac || { echo "databases: installed $package, but its server binary is still missing" >&2; exit 1; }
  echo "databases: installed $package $(dpkg-query -W -f='${Version}' "$package")"
done
