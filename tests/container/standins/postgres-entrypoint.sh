#!/bin/sh
# Docker Hub's postgres image, as far as compose.yaml uses it: on an empty PGDATA, initdb with the
# superuser POSTGRES_USER, POSTGRES_HOST_AUTH_METHOD (or POSTGRES_PASSWORD) for connections from
# other containers, and the database POSTGRES_DB; then the server, listening on every address.
set -e
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -n "$POSTGRES_PASSWORD" ]; then
        printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
        initdb --username="$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host="$auth" -D "$PGDATA"
        rm -f /tmp/pwfile
    else
        initdb --username="$user" --auth-local=trust --auth-host="$auth" -D "$PGDATA"
    fi
    echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"
    db="${POSTGRES_DB:-$user}"
    if [ "$db" != postgres ]; then
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
        createdb --username="$user" "$db"
        pg_ctl -D "$PGDATA" -m fast -w stop
    fi
fi
if [ "$1" = postgres ]; then
    shift
    set -- postgres -c listen_addresses='*' "$@"
fi
exec "$@"
