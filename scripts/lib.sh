# Shared set-up for scripts/demo, scripts/test and scripts/bench: installs the Debian packages
# the project needs (only those missing) and builds. Sourced, not run.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES=(build-essential cmake pkg-config python3 tzdata ca-certificates
          libcurl4-openssl-dev libxml2-dev libxml2-utils libev-dev libinih-dev libcmocka-dev
          libjansson-dev unicode-cldr-core valgrind systemd prometheus nodejs npm openssl
          krb5-kdc krb5-admin-server python3-gssapi python3-requests-ntlm python3-cryptography
          libssl-dev
          uthash-dev) # uthash: the ledger's hash table (header only)

# provided NAME: an installed package provides NAME (a nodejs build that bundles npm does).
provided() {
    dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null |
        grep "^install ok installed|" | grep -E "[|, ]$1( |,|\$)" >/dev/null
}

# What scripts/build-deb and scripts/test-systemd need besides PACKAGES: debhelper builds the
# package, lintian checks it, man-db renders the manual pages, debootstrap makes the Debian 12
# root the real systemd boots in.
PACKAGING_PACKAGES=(debhelper lintian man-db)
SYSTEMD_TEST_PACKAGES=(debootstrap util-linux)

# install_missing [PACKAGE...]: installs those of PACKAGES (default) or of the arguments that are
# missing.
install_missing() {
    local missing=() wanted=("$@")
    [ ${#wanted[@]} -gt 0 ] || wanted=("${PACKAGES[@]}")
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            provided "$p" || missing+=("$p")
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
