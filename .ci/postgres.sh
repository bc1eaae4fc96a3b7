#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the store tests; prints its SQLAlchemy URL.
# Usage: eval "$(bash .ci/postgres.sh start DIR PORT)"   then   bash .ci/postgres.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2 port=${3:-54329}
if [ "$cmd" = stop ]; then
  runuser -u postgres -- pg_ctl -D "$dir" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
if ! command -v initdb >/dev/null 2>&1 && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
export PATH="$bindir:$PATH"
mkdir -p "$dir" && chown postgres "$dir"
runuser -u postgres -- initdb -D "$dir" -A trust -U postgres >/dev/null
runuser -u postgres -- pg_ctl -D "$dir" -o "-h 127.0.0.1 -p $port -k $dir" -l "$dir/log" -w start >/dev/null
runuser -u postgres -- psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE triage_test" >/dev/null
echo "export TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/triage_test"
