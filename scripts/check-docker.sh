#!/usr/bin/env bash
# Fail early, and say how to fix it, when no Docker engine answers.
if ! command -v docker >/dev/null 2>&1; then
    cat >&2 <<'MSG'
Docker is not installed. The local droplets and the Molecule scenarios run in
Docker containers. On Debian/Ubuntu:  sudo apt-get install -y docker.io
then start the engine (sudo systemctl start docker, or `sudo dockerd &` where
systemd does not run) and try again.
MSG
    exit 1
fi
if ! docker info >/dev/null 2>&1; then
    cat >&2 <<'MSG'
The docker client is installed but no Docker engine answers (`docker info`
fails). Start it: `sudo systemctl start docker`, or `sudo dockerd &` where
systemd does not run; Debian's engine is the docker.io package.
MSG
    exit 1
fi
