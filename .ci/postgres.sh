# Sourced by .ci/run: a throwaway PostgreSQL server for the store tests.
#
#   ci_pg_install   install Debian's postgresql package unless it is already installed
#   ci_pg_start     initdb a new cluster in a temporary directory, start it on 127.0.0.1
#                   (first free port from 55432 on), create role and database ifsim_test,
#                   and export IFSIM_TEST_PG_URL, and IFSIM_TEST_PG_CTL: the pg_ctl command
#                   of that server (run as its owner, data directory given), to which a
#                   test appends `stop -m fast` or `start -w` to restart it mid-sweep
#                   (tests/e2e/test_postgres_restart.py)
#   ci_pg_stop      stop that server and delete its directory (safe to call at any time;
#                   .ci/run calls it from its EXIT trap)
#
# Every call makes a fresh cluster, so a second run on the same machine never meets the
# first one's state; a port already taken (by the system cluster, or by a server an
# interrupted run left behind) is skipped. No systemd and no system cluster are used.

CI_PG_DIR=""
CI_PG_BIN=""

# Run a PostgreSQL program as the server's owner: initdb and postgres refuse to run as root.
_ci_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

_ci_pg_port_taken() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ci_pg_install() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && dpkg -s postgresql >/dev/null 2>&1; then
    return 0
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo ".ci/postgres.sh: installing Debian's postgresql" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql
  # Where nothing stops it (no policy-rc.d), the install starts the package's own cluster;
  # it is not the one the tests use, so stop it again rather than leave it running.
  local version name _ status
  while read -r version name _ status _; do
    if [ "$status" = online ]; then
      $sudo pg_ctlcluster "$version" "$name" stop || true
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
}

ci_pg_start() {
  CI_PG_BIN="$(find /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)"
  CI_PG_BIN="${CI_PG_BIN%/pg_ctl}"
  [ -n "$CI_PG_BIN" ] || { echo ".ci/postgres.sh: no /usr/lib/postgresql/*/bin/pg_ctl" >&2; return 1; }

  CI_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ifsim-ci-pg.XXXXXX")"
  [ "$(id -u)" != 0 ] || chown postgres: "$CI_PG_DIR"
  # Local (socket) connections are trusted: the socket lives in this 0700 directory.
  _ci_pg_as_owner "$CI_PG_BIN/initdb" --pgdata="$CI_PG_DIR/data" --username=postgres \
    --auth-local=trust --auth-host=scram-sha-256 --locale=C --encoding=UTF8 --no-sync \
    >"$CI_PG_DIR/initdb.log" 2>&1 \
    || { cat "$CI_PG_DIR/initdb.log" >&2; return 1; }

  # Sockets go in the private directory. A test server: nothing needs to survive a crash,
  # so the disk flushes are skipped.
  printf '%s\n' "unix_socket_directories = '$CI_PG_DIR'" "fsync = off" \
    "synchronous_commit = off" "full_page_writes = off" >>"$CI_PG_DIR/data/postgresql.conf"

  local port="${IFSIM_CI_PG_PORT:-55432}" last started=""
  last=$((port + 50))
  for (( ; port <= last; port++ )); do
    _ci_pg_port_taken "$port" && continue
    if _ci_pg_as_owner "$CI_PG_BIN/pg_ctl" --pgdata="$CI_PG_DIR/data" \
        --log="$CI_PG_DIR/server.log" --wait --timeout=60 --silent start \
        -o "-c listen_addresses=127.0.0.1 -p $port"; then
      started=yes
      break
    fi
    tail -n 5 "$CI_PG_DIR/server.log" >&2 || true
    # Only a port taken between the check and the start is worth another try.
    grep -q "already in use" "$CI_PG_DIR/server.log" || break
  done
  [ -n "$started" ] || { echo ".ci/postgres.sh: could not start PostgreSQL" >&2; return 1; }

  local password
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  _ci_pg_as_owner "$CI_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CI_PG_DIR" -p "$port" \
    -U postgres -d postgres \
    -c "CREATE ROLE ifsim_test LOGIN PASSWORD '$password'" \
    -c "CREATE DATABASE ifsim_test OWNER ifsim_test"
  # Check the way the tests connect: TCP on 127.0.0.1, password authentication.
  PGPASSWORD="$password" "$CI_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" \
    -U ifsim_test -d ifsim_test -c "SELECT 1" >/dev/null

  export IFSIM_TEST_PG_URL="postgresql+psycopg://ifsim_test:$password@127.0.0.1:$port/ifsim_test"
  # `pg_ctl start` without -o would forget the port and address: restart reuses them
  # (postmaster.opts), and a test that stops the server starts it with the same ones.
  local owner=()
  [ "$(id -u)" != 0 ] || owner=(runuser -u postgres --)
  IFSIM_TEST_PG_CTL="$(printf '%q ' "${owner[@]}" "$CI_PG_BIN/pg_ctl" \
    "--pgdata=$CI_PG_DIR/data" "--log=$CI_PG_DIR/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port")"
  export IFSIM_TEST_PG_CTL="${IFSIM_TEST_PG_CTL% }"
  echo ".ci/postgres.sh: PostgreSQL $("$CI_PG_BIN/postgres" --version | awk '{print $3}')" \
    "on 127.0.0.1:$port, database ifsim_test (data in $CI_PG_DIR)" >&2
}

ci_pg_stop() {
  [ -n "$CI_PG_DIR" ] || return 0
  if [ -f "$CI_PG_DIR/data/postmaster.pid" ]; then
    _ci_pg_as_owner "$CI_PG_BIN/pg_ctl" --pgdata="$CI_PG_DIR/data" --wait --timeout=30 \
        --silent --mode=fast stop \
      || _ci_pg_as_owner "$CI_PG_BIN/pg_ctl" --pgdata="$CI_PG_DIR/data" --wait \
        --silent --mode=immediate stop \
      || true
  fi
  rm -rf "$CI_PG_DIR" || true
  CI_PG_DIR=""
  unset IFSIM_TEST_PG_URL IFSIM_TEST_PG_CTL
  echo ".ci/postgres.sh: PostgreSQL stopped" >&2
}
