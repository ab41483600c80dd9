#!/usr/bin/env bash
# Builds the PostgreSQL 15 image the docker sandbox tests use, from Debian's package archive alone
# (no container registry is needed): debootstrap a bookworm root, install postgresql-15 (+ hypopg,
# pgtap) in it, `docker import` it, and put an official-image-like entrypoint on top.
#
# Usage: .ci/docker-image.sh      (needs a running Docker engine; root for debootstrap)
# Prints the image tag on its last line. Cached under /var/cache/pgmanager-docker/ by content keys:
# the root file system tarball by the text of its recipe, the image by this whole script, so a warm
# run only checks that the image is there (or imports it again from the tarball).
set -euo pipefail

CACHE=${PGMANAGER_DOCKER_CACHE:-/var/cache/pgmanager-docker}
MIRROR=${PGMANAGER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PACKAGES="postgresql-15 postgresql-client-15 postgresql-15-hypopg postgresql-15-pgtap"

log() { echo "docker-image: $*" >&2; }

build_rootfs() {  # $1: an empty folder -> a Debian root with PostgreSQL 15 installed
    local root=$1
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$root.debootstrap.log" 2>&1 \
        || { tail -20 "$root.debootstrap.log" >&2; return 1; }
    mkdir -p "$root/etc/postgresql-common"
    echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"  # no service starts in the chroot
    chmod +x "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"
    local rc=0
    chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C sh -ec "
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $PACKAGES
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/*
    " >"$root.install.log" 2>&1 || rc=$?
    umount "$root/proc"
    rm -f "$root/usr/sbin/policy-rc.d"
    if [ "$rc" != 0 ]; then tail -20 "$root.install.log" >&2; return "$rc"; fi
}

# The entrypoint: what the official postgres image does, as far as pgmanager and testcontainers use it.
ENTRYPOINT_SH=$(cat <<'EOF'
#!/bin/sh
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB as in the official image; initdb on first start.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
case "${1:-}" in -*) set -- postgres "$@" ;; esac
if [ "${1:-}" != postgres ]; then exec "$@"; fi

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --auth-local=trust \
        --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    # a temporary server on the socket only, as the official image does (its log says "ready" once)
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -q \
            -c "create database \"$(printf '%s' "$db" | sed 's/"/""/g')\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) . "$f" ;;
            *.sql) psql -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" -q -f "$f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
EOF
)

DOCKERFILE=$(cat <<'EOF'
FROM pgmanager-debian-pg15-base:ROOTFS_KEY
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /docker-entrypoint-initdb.d
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
EOF
)

ROOTFS_KEY=$( { declare -f build_rootfs; echo "$SUITE $PACKAGES"; } | sha256sum | cut -c1-12)
IMAGE_KEY=$(sha256sum "$0" | cut -c1-12)
BASE=pgmanager-debian-pg15-base:$ROOTFS_KEY
IMAGE=pgmanager-postgres:15-$IMAGE_KEY
TARBALL=$CACHE/rootfs-$ROOTFS_KEY.tar

mkdir -p "$CACHE"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "cached image $IMAGE"
else
    if ! docker image inspect "$BASE" >/dev/null 2>&1; then
        if [ ! -s "$TARBALL" ]; then
            log "debootstrap $SUITE + $PACKAGES (a few minutes, once)"
            work=$(mktemp -d "$CACHE/build-XXXXXX")
            trap 'mountpoint -q "$work/root/proc" && umount "$work/root/proc"; rm -rf "$work"' EXIT
            mkdir "$work/root"
            build_rootfs "$work/root"
            tar --numeric-owner -C "$work/root" -cf "$TARBALL.partial" .
            mv "$TARBALL.partial" "$TARBALL"
            rm -rf "$work"
            trap - EXIT
        fi
        log "docker import $TARBALL as $BASE"
        docker import "$TARBALL" "$BASE" >/dev/null
    fi
    log "building $IMAGE"
    ctx=$(mktemp -d)
    trap 'rm -rf "$ctx"' EXIT
    printf '%s\n' "$ENTRYPOINT_SH" >"$ctx/docker-entrypoint.sh"
    chmod 755 "$ctx/docker-entrypoint.sh"
    printf '%s\n' "${DOCKERFILE//ROOTFS_KEY/$ROOTFS_KEY}" >"$ctx/Dockerfile"
    # (the legacy builder's deprecation notice is noise here: shown only when the build fails)
    docker build -q -t "$IMAGE" "$ctx" >/dev/null 2>"$ctx.err" || { cat "$ctx.err" >&2; rm -f "$ctx.err"; exit 1; }
    rm -f "$ctx.err"
    rm -rf "$ctx"
    trap - EXIT
    # older builds of this script are of no further use
    docker images --format '{{.Repository}}:{{.Tag}}' pgmanager-postgres | grep -vx "$IMAGE" \
        | xargs -r docker rmi >/dev/null 2>&1 || true
fi
echo "$IMAGE" >"$CACHE/image"
echo "$IMAGE"
