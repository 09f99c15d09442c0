#!/usr/bin/env bash
# The Dockerfile's base image (python:3.11-slim-bookworm) where Docker Hub cannot be
# reached, as in a school network: pulled when the registry answers, otherwise made
# here from Debian's own packages and imported under the same name, so that the
# Dockerfile builds unchanged.
#
#   sudo bash scripts/base-image.sh            # the name in the Dockerfile's FROM
#   sudo bash scripts/base-image.sh --rebuild  # again, with today's Debian updates
#
# The stand-in: `debootstrap --variant=minbase` of the Debian release in the
# image's tag, from the Debian mirror this machine's apt uses (or $DEBIAN_MIRROR),
# with Debian's security updates, python3, python3-pip, python3-venv, passwd and
# ca-certificates; python and pip in /usr/local/bin and no EXTERNALLY-MANAGED, as in
# the official image. pip inside a build reaches PyPI as this machine's pip does:
# the certificate authorities added to this machine's bundle are added, and
# the network settings of its pip (index, extra index, trusted hosts, proxy,
# timeout; never local paths) go to the image's /etc/pip.conf. Proxies in the
# environment (http_proxy, https_proxy) are used by debootstrap and apt.
#
# The image is labelled with a hash of this recipe and its inputs, and made again
# only when they change. Needs root, debootstrap, Debian's archive keyring and a
# running Docker engine (apt-get install docker.io debootstrap).
set -euo pipefail
script=$(realpath "$0")
cd "$(dirname "$script")/.."

LABEL=org.kmeans-stepper.stand-in
docker=${DOCKER:-docker}
rebuild=""
image=""
for argument in "$@"; do
    case $argument in
        --rebuild) rebuild=1 ;;
        -h|--help) sed -n '2,/^set -e/p' "$script" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) image=$argument ;;
    esac
done
[[ -n $image ]] || image=$(awk 'toupper($1) == "FROM" { print $2; exit }' Dockerfile)

# python:3.11-slim-bookworm: Python 3.11 on Debian bookworm (whose python3 is 3.11).
[[ $image =~ ^python:([0-9]+\.[0-9]+)(-slim)?(-([a-z]+))?$ ]] \
    || { echo "base-image.sh: cannot make a stand-in for $image (python:X.Y-slim-RELEASE)" >&2; exit 2; }
python_version=${BASH_REMATCH[1]}
release=${BASH_REMATCH[4]:-bookworm}

say() { echo "base-image.sh: $*" >&2; }

# The Debian mirror apt uses here (the first URI ending in /debian), unless given.
apt_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | grep -oE '(https?|file)://[^ ]*/debian/?( |$)' | head -n 1 | tr -d ' ' || true
}
mirror=${DEBIAN_MIRROR:-$(apt_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${DEBIAN_SECURITY_MIRROR:-${mirror}-security}

# This machine's pip settings that say how to reach an index, in pip.conf's words.
pip_network_settings() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -m pip config list 2>/dev/null | while IFS= read -r line; do
        key=${line%%=*}
        key=${key#*.}
        value=${line#*=}
        value=${value#\'}
        value=${value%\'}
        case $key in
            index-url|extra-index-url|trusted-host|proxy|timeout|default-timeout|retries) ;;
            *) continue ;;
        esac
        # Local paths and file:// indexes exist only on this machine.
        value=$(tr ' ' '\n' <<<"$value" | { grep -vE '^(file:|/)' || true; } | tr '\n' ' ')
        value=${value% }
        if [[ -n $value ]]; then echo "${key/default-timeout/timeout} = $value"; fi
    done | sort -u
}
pip_conf=$(printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n%s\n' "$(pip_network_settings)")
host_bundle=/etc/ssl/certs/ca-certificates.crt
bundle_hash=$(sha256sum "$host_bundle" 2>/dev/null | cut -d' ' -f1 || true)

recipe=$(sha256sum "$script" | cut -d' ' -f1)
recipe=$(printf '%s\n' "$recipe" "$image" "$mirror" "$security" "$pip_conf" "$bundle_hash" \
    | sha256sum | cut -c1-16)

# A stand-in carries its recipe's hash; an image from a registry has no such label.
made_by=$($docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$image" 2>/dev/null \
    || echo absent)
if [[ -z $rebuild ]]; then
    if [[ $made_by == "$recipe" ]]; then
        say "$image is the stand-in of this recipe ($recipe): kept"
        exit 0
    elif [[ $made_by == "<no value>" || $made_by == "" ]]; then
        say "$image is already here, from a registry: kept"
        exit 0
    elif $docker pull "$image" >/dev/null 2>&1; then
        say "$image pulled from its registry"
        exit 0
    fi
fi

say "making $image from Debian $release ($mirror); a few minutes"
[[ $(id -u) -eq 0 ]] || { say "making it needs root (debootstrap, chroot)"; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
command -v debootstrap >/dev/null || { say "debootstrap is missing: apt-get install debootstrap"; exit 1; }
work=$(mktemp -d /var/tmp/kmeans-base-XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
log=$work/log

# A command's output goes to the log, shown only if it fails.
quietly() { "$@" >>"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }; }

quietly debootstrap --variant=minbase --components=main \
    --include=python3,python3-pip,python3-venv,passwd,ca-certificates \
    "$release" "$root" "$mirror"

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $release main
deb $mirror $release-updates main
deb $security $release-security main
EOF
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
quietly in_root apt-get update
quietly in_root apt-get upgrade -y --no-install-recommends
quietly in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root/etc/resolv.conf"

# The authorities added to this machine's bundle beyond those its packages ship (a
# school's or a proxy's), where update-ca-certificates keeps them through later installs.
if [[ -n $bundle_hash ]]; then
    shipped=(/usr/share/ca-certificates/*/*.crt)
    [[ -e ${shipped[0]} ]] || shipped=("$root/etc/ssl/certs/ca-certificates.crt")
    awk -v out="$root/usr/local/share/ca-certificates/host" '
        /-----BEGIN CERTIFICATE-----/ { cert = "" }
        { cert = cert $0 "\n" }
        /-----END CERTIFICATE-----/ {
            if (FILENAME != ARGV[ARGC - 1]) known[cert] = 1
            else if (!(cert in known)) { n++; printf "%s", cert > (out "-" n ".crt") }
        }' "${shipped[@]}" "$host_bundle"
    quietly in_root update-ca-certificates
fi
printf '%s\n' "$pip_conf" >"$root/etc/pip.conf"

ln -s /usr/bin/python3 "$root/usr/local/bin/python"
ln -s /usr/bin/pip3 "$root/usr/local/bin/pip"
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
found=$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $found == "$python_version" ]] \
    || { say "Debian $release has Python $found, not the $python_version of $image"; exit 1; }

tar --numeric-owner -C "$root" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . \
    | $docker import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "LABEL $LABEL=$recipe" \
        --change 'CMD ["python3"]' \
        - "$image" >/dev/null
say "$image made (recipe $recipe)"
