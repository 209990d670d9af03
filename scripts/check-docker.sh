#!/usr/bin/env bash
# Make sure a Docker engine answers (the local droplets and the Molecule
# scenarios are containers) and that debootstrap, which builds the test image,
# is there, and the OpenSSH client that the scenarios reach their hosts with.
# On Debian or Ubuntu, as root or with password-less sudo, this installs
# Debian's engine (docker.io), debootstrap and openssh-client and starts the engine,
# as CI does; anywhere else it says what to do.
set -euo pipefail

SUDO=()
if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
fi
can_install() {
    [[ -r /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1 && { [[ $EUID -eq 0 ]] || ((${#SUDO[@]})); }
}
explain() {
    cat >&2 <<'MSG'
The local droplets and the Molecule scenarios need a Docker engine,
debootstrap and the OpenSSH client. On Debian/Ubuntu:
  sudo apt-get install -y docker.io debootstrap openssh-client
then start the engine (sudo systemctl start docker, or `sudo dockerd &` where
systemd does not run) and try again.
MSG
    exit 1
}

missing=()
# docker.io brings the engine (dockerd) and the client.
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# ssh and ssh-keygen: Molecule's hosts are reached over SSH.
{ command -v ssh && command -v ssh-keygen; } >/dev/null 2>&1 || missing+=(openssh-client)
if ((${#missing[@]})); then
    can_install || explain
    echo "docker: installing ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

docker info >/dev/null 2>&1 && exit 0
if "${SUDO[@]}" docker info >/dev/null 2>&1; then
    echo "A Docker engine runs, but this user may not use it: add it to the docker group or run as root." >&2
    exit 1
fi
can_install || explain
if [[ -d /run/systemd/system ]]; then
    echo "docker: starting the engine (systemctl start docker)"
    "${SUDO[@]}" systemctl start docker
else
    # No systemd on this machine (a CI runner, a container): run the engine in
    # the background, its log beside the other temporary files, in a session
    # of its own (setsid), so that it outlives the make or shell that started
    # it when that one's process group is stopped (seen: a finished job took
    # the engine, and every scenario still running, with it).
    echo "docker: starting dockerd (log: /tmp/dockerd.log)"
    "${SUDO[@]}" setsid -f sh -c 'exec dockerd >/tmp/dockerd.log 2>&1 </dev/null'
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "docker: the engine did not start; the end of its log:" >&2
tail -n 30 /tmp/dockerd.log >&2 2>/dev/null || true
exit 1
