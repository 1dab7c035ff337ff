#!/bin/bash
# Installs the Debian 12 packages xhvm needs to build, boot and test.
# Cheap when everything is there (one dpkg-query); otherwise apt-get as root.
set -euo pipefail
PKGS=(
    gcc make binutils libc6-dev            # build (kernel is freestanding; host tools use libc)
    libxen-dev                             # Xen public headers (#include <xen/...>)
    libcmocka-dev                          # host unit tests
    clang libclang-rt-14-dev               # libFuzzer harnesses, sanitizer runtimes
    qemu-system-x86 qemu-utils seabios ovmf  # boot tests and the nested Xen host
    gnu-efi mtools dosfstools              # EFI application and its FAT image
    debootstrap cpio debian-archive-keyring perl  # nested Xen dom0 image
)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "install-deps: apt-get update failed (no network to the Debian mirror?)" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "install-deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
