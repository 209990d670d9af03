#!/usr/bin/env bash
# Build the Molecule/"local droplet" test image from Debian's own packages.
#
# No container registry is reachable from the machines this project is tested
# on, so the image is made with debootstrap and imported with `docker import`.
# It is built once and reused while it exists (pass --force to rebuild). The
# tag carries the image's version: a change to what goes into it bumps the tag,
# so machines that hold an older image build the new one instead of reusing it.
#
# Environment:
#   DJANGO_STACK_IMAGE   image name (default: django-stack/debian12-systemd:3)
#   DEBIAN_MIRROR        Debian mirror (default: http://deb.debian.org/debian)
#   DEBIAN_SUITE         suite (default: bookworm)
set -euo pipefail

IMAGE="${DJANGO_STACK_IMAGE:-django-stack/debian12-systemd:3}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${DEBIAN_SUITE:-bookworm}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

if [[ $FORCE -eq 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "image $IMAGE exists; reusing it (--force rebuilds)"
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    echo "debootstrap is missing: apt-get install -y debootstrap" >&2
    exit 1
fi
if [[ $EUID -ne 0 ]]; then
    echo "debootstrap needs root; run this script as root (or with sudo)" >&2
    exit 1
fi

ROOTFS="$(mktemp -d /tmp/django-stack-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

# systemd as PID 1, python3 for Ansible, ca-certificates for TLS, iproute2 and
# procps for the tests, sudo for `become`, locales-all so that services start
# with a UTF-8 locale, openssh-server because the scenarios reach their hosts
# over SSH as Ansible reaches a real droplet.
PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,sudo,locales-all,openssh-server"

echo "debootstrap $SUITE from $MIRROR into $ROOTFS"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR"

# Trim units that make no sense in a container and would show up as failed.
for unit in systemd-remount-fs.service getty@tty1.service serial-getty@.service \
            systemd-logind.service console-getty.service \
            sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-firstboot.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-modules-load.service; do
    ln -sf /dev/null "$ROOTFS/etc/systemd/system/$unit"
done
echo "container" > "$ROOTFS/etc/hostname"
rm -f "$ROOTFS/etc/machine-id" && touch "$ROOTFS/etc/machine-id"
# SSH: no host keys in the image (every container makes its own when sshd
# first starts), keys only, root's authorized_keys written at create time.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
mkdir -p "$ROOTFS/etc/systemd/system/ssh.service.d"
cat > "$ROOTFS/etc/systemd/system/ssh.service.d/host-key.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -e /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
UNIT
cat > "$ROOTFS/etc/ssh/sshd_config.d/local-droplet.conf" <<'SSHD'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
X11Forwarding no
SSHD
install -d -m 0700 "$ROOTFS/root/.ssh"
# Test droplets only: a path hook that keeps the bytecode of Ansible's module
# payloads (playbooks/files/local_droplets/ansiballz_bytecode.py says why),
# about half of each task's CPU in a container. The .pth file, read by
# Python's site module at start, sorts after every other one. Real droplets
# never have it; DJANGO_STACK_BYTECODE_CACHE=0 takes it out when a droplet
# is created (playbooks/tasks/local_droplets.yml).
HOOKS="$(dirname "$0")/../playbooks/files/local_droplets"
install -m 0644 "$HOOKS/ansiballz_bytecode.py" "$ROOTFS/usr/lib/python3/dist-packages/ansiballz_bytecode.py"
install -m 0644 "$HOOKS/ansiballz_bytecode.pth" "$ROOTFS/usr/lib/python3/dist-packages/zz-ansiballz-bytecode.pth"
# No recommends, no docs: smaller and faster apt runs in every scenario.
cat > "$ROOTFS/etc/apt/apt.conf.d/90django-stack" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
# An empty, old package index: the first apt run with cache_valid_time updates it.
touch -d @0 "$ROOTFS/var/lib/apt/lists"

tar -C "$ROOTFS" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' \
    -c 'ENV container=docker' \
    - "$IMAGE"
echo "built $IMAGE"
