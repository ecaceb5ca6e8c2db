# Shared set-up for scripts/demo, scripts/test and scripts/bench: installs the Debian packages
# the project needs (only those missing) and builds. Sourced, not run.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES=(build-essential cmake pkg-config python3 tzdata ca-certificates
          libcurl4-openssl-dev libxml2-dev libxml2-utils libev-dev libinih-dev libcmocka-dev
          valgrind systemd prometheus)

install_missing() {
    local missing=()
    PACKAGES+=(uthash-dev) # the ledger's hash table (header only)
    PACKAGES+=(openssl) # e2e certificates (ca-certificates pulls it in already)
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [cmake options...]
build() {
    local dir=$1
    shift
    cmake -S "$TOP" -B "$TOP/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEETINGD_WERROR=ON "$@" >/dev/null
    cmake --build "$TOP/$dir" -j "$(nproc)"
}

# The Python the project runs with: Debian's, which the packages above install. Looked up on
# PATH when used, after install_missing: on a fresh machine it is not there yet.
PYTHON=${PYTHON:-python3}
