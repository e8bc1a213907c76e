#!/bin/sh
# Prints a PostgreSQL URL the tests can use, making one reachable if needed:
#   1. TEST_POSTGRES_URL when it answers;
#   2. the server on 127.0.0.1:5432 (user postgres, trust auth), as on CI;
#   3. otherwise a throw-away cluster from Debian's packages (installed with
#      apt-get when missing and we are root) on port 54329, trust auth, data
#      under /tmp, stopped by the next boot or `pg_ctl stop`.
# Prints nothing (exit 0) when none can be had: the PostgreSQL tests then
# skip with a visible reason.
PY=${PY:-.venv/bin/python}
answers() {
    "$PY" -c "import sys, psycopg2; psycopg2.connect(sys.argv[1], connect_timeout=3).close()" "$1" >/dev/null 2>&1
}
for url in "${TEST_POSTGRES_URL:-}" "postgresql://postgres@127.0.0.1:5432/test"; do
    if [ -n "$url" ] && answers "$url"; then echo "$url"; exit 0; fi
done
THROWAWAY="postgresql://postgres@127.0.0.1:54329/postgres"
if answers "$THROWAWAY"; then echo "$THROWAWAY"; exit 0; fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL from Debian's packages for the tests…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || exit 0
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$bindir" ] || exit 0
data=/tmp/juzhu-test-pg
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && { [ "$(id -u)" != 0 ] || chown postgres "$data"; }
    run "$bindir/initdb -D $data -U postgres -A trust" >/dev/null 2>&1 || exit 0
fi
run "$bindir/pg_ctl -D $data -o '-p 54329 -k /tmp -c listen_addresses=127.0.0.1' -l $data/log -w start" >/dev/null 2>&1
answers "$THROWAWAY" && echo "$THROWAWAY"
exit 0
