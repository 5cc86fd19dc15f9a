#!/usr/bin/env bash
# Build the hrcase image with podman, FROM a Debian base made here with mmdebstrap: nothing is pulled from a registry.
# The base is this machine's Debian release (Debian 12's python3 is 3.11) with python3 and pip; the image is the
# repository's Dockerfile built FROM it, its wheels from PyPI. Both are cached in podman's storage under a tag that
# hashes what went into them and the day (UTC), so a second build the same day with the same sources is instant.
#
# Usage: deploy/image/build.sh [build|name|base|systemd]
#   build (default)  build what is missing; print the image's name (e.g. localhost/hrcase:0.1.0-3f2a...) on stdout
#   name             print the name `build` would give, building nothing
#   base             build the base only if missing; print its name
#   systemd          build, FROM the same base, a host with systemd as its init and hrcase in /opt/hrcase/venv
#                    (deploy/systemd/Containerfile, for tests/system/test_systemd_supervision.py); print its name
# Environment:
#   HRCASE_IMAGE           repository of the image (default localhost/hrcase)
#   HRCASE_IMAGE_BASE      repository of the base (default localhost/hrcase-base)
#   HRCASE_IMAGE_SYSTEMD   repository of the systemd host (default localhost/hrcase-systemd)
#   HRCASE_DEBIAN_SUITE    Debian suite of the base (default: this machine's VERSION_CODENAME, else bookworm)
#   HRCASE_DEBIAN_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   HRCASE_DEBIAN_SECURITY_MIRROR  its security updates (default http://deb.debian.org/debian-security)
#   HRCASE_BUILD_CA        CA bundle pip trusts in the build stage only, for a TLS-intercepting way to PyPI
#                          (default: $PIP_CERT when it names a file; the image itself never contains it)
#   CONTAINERS_CONF        podman's settings (default deploy/image/containers.conf: runc, cgroupfs, no ulimits)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$HERE/containers.conf}"
IMAGE="${HRCASE_IMAGE:-localhost/hrcase}"
BASE="${HRCASE_IMAGE_BASE:-localhost/hrcase-base}"
SYSTEMD_IMAGE="${HRCASE_IMAGE_SYSTEMD:-localhost/hrcase-systemd}"
MIRROR="${HRCASE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BUILD_CA="${HRCASE_BUILD_CA:-${PIP_CERT:-}}"
DAY="$(date -u +%F)"  # a new day rebuilds both: Debian's security updates, PyPI's releases within the pins
LOCK="${TMPDIR:-/tmp}/hrcase-image-build.lock"

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

suite() {
    if [ -n "${HRCASE_DEBIAN_SUITE:-}" ]; then echo "$HRCASE_DEBIAN_SUITE"; return; fi
    local codename=""
    [ -r /etc/os-release ] && codename="$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}")"
    echo "${codename:-bookworm}"
}
SUITE="$(suite)"

# The base's recipe: the tag hashes it, so a change here makes a new base.
base_packages=(python3 python3-pip)
mmdebstrap_args=(
    --variant=minbase "--include=$(IFS=,; echo "${base_packages[*]}")"
    # The image is a container's, not a system's: pip installs into /usr/local beside Debian's python (PEP 668).
    --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
)
mirrors() {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    echo "deb ${HRCASE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} $SUITE-security main"
}

digest() { sha256sum | cut -c1-12; }

base_name() {
    printf '%s\n' "$SUITE" "$DAY" "${mmdebstrap_args[@]}" "$(mirrors)" | digest | sed "s|^|$BASE:$SUITE-|"
}

image_name() {  # [repository] [its Containerfile, from the repository's root]
    # Everything the build context admits (.dockerignore), the Containerfile and the base: sources changed, new image.
    local version
    version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/pyproject.toml" | head -1)"
    {
        base_name
        cd "$REPO"
        find "${2:-Dockerfile}" .dockerignore pyproject.toml README.md schemas services sitreps reference -type f \
            ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '*.sqlite*' -print0 | sort -z | xargs -0 sha256sum
    } | digest | sed "s|^|${1:-$IMAGE}:$version-|"
}

exists() { podman image exists "$1"; }

require() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    [ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]}: install the Debian packages podman buildah mmdebstrap runc"
}

prune() {  # older tags of one repository: a cache of one day's build, not a history
    local repo=$1 keep=$2
    podman images --format '{{.Repository}}:{{.Tag}}' | awk -v repo="$repo:" -v keep="$keep" \
        'index($0, repo) == 1 && $0 != keep' \
        | while read -r old; do podman rmi "$old" >/dev/null 2>&1 && log "removed $old" || true; done
}

TAR=""
trap '[ -z "$TAR" ] || rm -f "$TAR"' EXIT

build_base() {
    local name
    name="$(base_name)"
    if exists "$name"; then echo "$name"; return; fi
    require podman mmdebstrap
    TAR="$(mktemp --tmpdir hrcase-base.XXXXXX.tar)"
    log "building $name: mmdebstrap $SUITE with ${base_packages[*]}"
    local sources=()
    while read -r line; do sources+=("$line"); done < <(mirrors)
    mmdebstrap --quiet "${mmdebstrap_args[@]}" "$SUITE" "$TAR" "${sources[@]}" >&2
    podman import --quiet --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' "$TAR" "$name" >/dev/null
    rm -f "$TAR"
    if ! podman run --rm --network host "$name" python3 -c 'import sys; assert sys.version_info >= (3, 11)'; then
        podman rmi "$name" >/dev/null
        die "Debian $SUITE's python3 is older than 3.11, which hrcase needs: set HRCASE_DEBIAN_SUITE=bookworm or later"
    fi
    prune "$BASE" "$name"
    echo "$name"
}

CA=()  # podman build's options that lend pip the CA bundle, if any
build_ca() {
    [ -n "$BUILD_CA" ] || return 0
    [ -f "$BUILD_CA" ] || die "HRCASE_BUILD_CA=$BUILD_CA is not a file"
    CA=(--volume "$BUILD_CA:/etc/ssl/certs/hrcase-build-ca.crt:ro"
        --build-arg PIP_CERT=/etc/ssl/certs/hrcase-build-ca.crt)
}

build_image() {
    local name base
    name="$(image_name)"
    if exists "$name"; then echo "$name"; return; fi
    base="$(build_base)"
    require podman
    build_ca
    log "building $name FROM $base"
    # No layer cache: podman would reuse the final stage's `pip install` from an older build, since what the bind
    # mount brings (the new wheels) is not part of its key: an image of stale sources under a new tag.
    podman build --layers=false --network host --pull=never --build-arg "PYTHON_IMAGE=$base" "${CA[@]}" \
        --tag "$name" --file "$REPO/Dockerfile" "$REPO" >&2
    podman image prune --force --filter label=org.hrcase.stage=build >/dev/null
    prune "$IMAGE" "$name"
    echo "$name"
}

build_systemd() {
    local name base
    name="$(image_name "$SYSTEMD_IMAGE" deploy/systemd/Containerfile)"
    if exists "$name"; then echo "$name"; return; fi
    base="$(build_base)"
    build_ca
    log "building $name FROM $base: Debian's systemd, hrcase in /opt/hrcase/venv"
    podman build --layers=false --network host --pull=never --build-arg "BASE_IMAGE=$base" "${CA[@]}" \
        --tag "$name" --file "$REPO/deploy/systemd/Containerfile" "$REPO" >&2
    prune "$SYSTEMD_IMAGE" "$name"
    echo "$name"
}

locked() {  # one build at a time on this machine: a second waits, then finds the image built
    exec 9>"$LOCK"
    flock 9
    "$@"
}

case "${1:-build}" in
    build) locked build_image ;;
    name) image_name ;;
    base) locked build_base ;;
    systemd) locked build_systemd ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
