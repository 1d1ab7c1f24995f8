#!/usr/bin/env bash
# `make image`: build Preflight's image (Containerfile) with Debian's buildah, without a registry,
# then run it with no network. Everything it keeps lies under IMAGE_DIR, so a second run reuses
# the base, the wheelhouse and the dependency layer and only rebuilds what changed:
#   $IMAGE_DIR/storage-DRIVER buildah's image store (overlay, or vfs where overlay cannot mount)
#   $IMAGE_DIR/wheels/KEY     the wheelhouse for one set of requirements + constraints
#   $IMAGE_DIR/context        the build context (requirements, constraints, Preflight's wheel)
# Needs root, buildah, debootstrap and unshare (util-linux); .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE_DIR=${IMAGE_DIR:-$PWD/build/image}
IMAGE=${IMAGE:-localhost/preflight:latest}
PIP=${PIP:-.venv/bin/pip}             # the host's pip: builds the wheels (its index settings apply)
PY=${PY:-.venv/bin/python}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3.11,python3.11-venv,python3-distutils,python3-pip-whl,python3-setuptools-whl,ca-certificates
BASE=localhost/preflight-base:bookworm-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-12)
CONTEXT=$IMAGE_DIR/context

# overlay keeps a layer as its changes only; vfs (copies every layer whole: slower, several GB
# more) is the fallback where the kernel refuses an overlay mount. STORAGE_DRIVER overrides.
overlay_works() {
    local t=$IMAGE_DIR/overlay-probe ok=1
    rm -rf "$t" && mkdir -p "$t"/{lower,upper,work,merged}
    if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" \
        "$t/merged" 2>/dev/null; then
        umount "$t/merged" && ok=0
    fi
    rm -rf "$t"
    return $ok
}
mkdir -p "$IMAGE_DIR"
if [ -z "${STORAGE_DRIVER:-}" ]; then
    if overlay_works; then STORAGE_DRIVER=overlay; else STORAGE_DRIVER=vfs; fi
fi
STORAGE=$IMAGE_DIR/storage-$STORAGE_DRIVER

step() { printf '[image %4ds] %s\n' "$SECONDS" "$*"; }
bah() {
    buildah --root "$STORAGE" --runroot "$IMAGE_DIR/run-$STORAGE_DRIVER" \
        --storage-driver "$STORAGE_DRIVER" "$@"
}

# Debian bookworm (minbase + Python 3.11) as an image of its own; rebuilt only when the package
# list changes or IMAGE_REFRESH_BASE=1 asks for fresh security updates.
build_base() {
    if [ -z "${IMAGE_REFRESH_BASE:-}" ] && bah inspect --type image "$BASE" >/dev/null 2>&1; then
        step "base $BASE: cached"
        return
    fi
    local rootfs=$IMAGE_DIR/rootfs.tmp ctr mnt
    rm -rf "$rootfs"
    step "base: debootstrap --variant=minbase bookworm ($MIRROR)"
    if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$rootfs" "$MIRROR" \
        >"$IMAGE_DIR/debootstrap.log" 2>&1; then
        tail -n 20 "$IMAGE_DIR/debootstrap.log" >&2
        exit 1
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/debootstrap "$rootfs"/etc/hostname
    : >"$rootfs/etc/resolv.conf"
    # The user the image runs as; OpenShift picks its own UID, always in group 0.
    echo 'preflight:x:10001:0:Preflight:/tmp:/usr/sbin/nologin' >>"$rootfs/etc/passwd"
    ctr=$(bah from scratch)
    mnt=$(bah mount "$ctr")
    tar -C "$rootfs" -cf - . | tar -C "$mnt" -xpf -
    bah umount "$ctr" >/dev/null
    bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    bah commit --quiet --rm "$ctr" "$BASE" >/dev/null
    rm -rf "$rootfs"
    step "base $BASE: built"
}

# The context: pyproject's runtime dependencies, the pins, and Preflight's wheel built from the
# files git knows (tracked and new, not ignored) so stale build output never enters the image.
# A fixed SOURCE_DATE_EPOCH makes the wheel's bytes depend on its content only, so unchanged code
# hits the layer cache.
build_context() {
    local src=$IMAGE_DIR/src
    rm -rf "$CONTEXT" "$src"
    mkdir -p "$CONTEXT/dist" "$src"
    # the dependencies and the tracing extra (OpenTelemetry, off unless the chart sets an endpoint)
    "$PY" -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["tracing"]))' \
        >"$CONTEXT/requirements.txt"
    cp constraints.txt "$CONTEXT/"
    git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
    SOURCE_DATE_EPOCH=315532800 "$PIP" wheel --quiet --no-deps --no-build-isolation --wheel-dir "$CONTEXT/dist" "$src" \
        >"$IMAGE_DIR/wheel.log" 2>&1 || { cat "$IMAGE_DIR/wheel.log" >&2; exit 1; }
    rm -rf "$src"
    step "context: $(ls "$CONTEXT/dist")"
}

# Every dependency as a wheel (CPU torch from the host's index settings, as `make setup` gets it),
# kept per requirements + constraints so an unchanged set is not fetched again.
build_wheelhouse() {
    local key
    key=$(cat "$CONTEXT/requirements.txt" "$CONTEXT/constraints.txt" | sha256sum | cut -c1-16)
    WHEELS=$IMAGE_DIR/wheels/$key
    if [ -f "$WHEELS/.complete" ]; then
        step "wheelhouse $key: cached"
        return
    fi
    step "wheelhouse $key: pip wheel"
    rm -rf "$WHEELS"
    "$PIP" wheel --quiet --wheel-dir "$WHEELS" -c "$CONTEXT/constraints.txt" \
        -r "$CONTEXT/requirements.txt" 2>&1 | { grep -v "^WARNING: Location" || true; }
    find "$IMAGE_DIR/wheels" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
    touch "$WHEELS/.complete"
    step "wheelhouse $key: $(find "$WHEELS" -name '*.whl' | wc -l) wheels, $(du -sh "$WHEELS" | cut -f1)"
}

# The image; --layers keeps the dependency layer, so only Preflight's own layer is rebuilt when
# the code changes. Images left without a name by this build are removed.
build_image() {
    local ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
    cp "$ca" "$WHEELS/ca-certificates.crt"
    step "image $IMAGE: buildah bud"
    bah bud --quiet --layers --isolation chroot --pull=never \
        --build-arg "BASE=$BASE" --volume "$WHEELS:/wheels:ro" \
        -f "$PWD/Containerfile" -t "$IMAGE" "$CONTEXT" >/dev/null
    bah rmi --prune >/dev/null 2>&1 || true
    step "image $IMAGE: $(bah images --format '{{.Size}}' "$IMAGE")"
}

# Run it as the chart does (UID 10001, group 0) with no network at all: the help, the knowledge
# base unpacked from the seed, and a recommendation with retrieval.
smoke_test() {
    local ctr
    ctr=$(bah from --pull=never "$IMAGE")
    trap 'bah rm "$ctr" >/dev/null 2>&1 || true' RETURN
    in_image() { unshare --net buildah --root "$STORAGE" --runroot "$IMAGE_DIR/run-$STORAGE_DRIVER" \
        --storage-driver "$STORAGE_DRIVER" run --isolation chroot --user 10001:0 "$ctr" -- "$@"; }
    in_image preflight --help >/dev/null
    in_image preflight kb build --if-missing --seed /opt/preflight/share/kb-seed.tar.gz
    in_image preflight recommend "support chatbot for 500 employees, we have L40S" --json |
        "$PY" -c 'import json, sys; r = json.load(sys.stdin); assert r["options"], r; print("recommend: option 1 =", r["options"][0]["model"], "on", r["options"][0]["gpu"])'
    step "smoke test (no network, UID 10001): help, seeded knowledge base, recommend: passed"
}

command -v buildah >/dev/null || { echo "buildah is missing (apt-get install buildah)" >&2; exit 1; }
step "storage: $STORAGE_DRIVER in $STORAGE"
build_base
build_context
build_wheelhouse
build_image
smoke_test
step "done"
