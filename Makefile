# Two commands do all the set-up on a fresh machine:
#   make up    deploy the stack to local container "droplets"
#   make test  lint, unit tests and every Molecule scenario
# For day-to-day work, `make check` is the fast tier: lint, unit tests and one
# smoke scenario (SMOKE_SCENARIO), in a few minutes.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
INVENTORY ?= inventory/local

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)
# The Debian release of the local droplets (make up) and of the scenarios that
# name none: bookworm (Debian 12, PostgreSQL 15; the default) or trixie
# (Debian 13, PostgreSQL 17). tests/lib/platforms.py maps each to its image.
PLATFORM ?= bookworm
export DJANGO_STACK_PLATFORM := $(PLATFORM)
PLATFORMS_PY := $(PYTHON) tests/lib/platforms.py
# The image targets of the platforms the runs $(1) need (none named: every
# scenario, balancer on trixie too).
IMAGES_FOR = $(addprefix image-,$(shell $(PLATFORMS_PY) needed $(1)))
# The systemd image the containers of PLATFORM boot; point it at your own
# Debian/Ubuntu systemd image if you have one (DJANGO_STACK_IMAGE_TRIXIE and
# so on for the other platforms).
export DJANGO_STACK_IMAGE ?= $(shell $(PLATFORMS_PY) image $(PLATFORM))
# A CA bundle the hosts must trust on top of their own (TLS-inspecting proxy).
export DJANGO_STACK_EXTRA_CA_FILE ?= $(firstword $(PIP_CERT) $(REQUESTS_CA_BUNDLE))

# The scenario `make check` runs: django_app and gunicorn on single hosts.
SMOKE_SCENARIO ?= app

.PHONY: help up down renew smoke browser bench perf test check static lint unit molecule image docker venv secrets clean

help:
	@echo "make help      this list"
	@echo "make up        create the local droplets (containers) and deploy playbooks/site.yml to them (PLATFORM=trixie: on Debian 13)"
	@echo "make down      remove the local droplets and their network"
	@echo "make smoke     a person's visit in headless Chromium (after make up): polls, admin CSS, log in, add a question, vote; screenshots in reports/smoke/"
	@echo "make browser   install Debian's chromium, chromium-driver and certutil when missing (make smoke needs them; the scenarios install their own in a container)"
	@echo "make renew     renew the local site's certificate now and fetch pebble's current root (after the acme droplet restarted)"
	@echo "make bench     run the connection-pooling benchmark on the local droplets (after make up; BENCH_ARGS='-e bench_scale=150')"
	@echo "make perf      time site.yml on local droplets made afresh: 4 app hosts, then the usual 2 (fresh and no-op rerun), then a rolling update (time per batch) and one back; replaces make up's droplets, PERF_ARGS='--no-scale --no-rolling'"
	@echo "make test      lint + unit tests + every Molecule scenario, balancer on trixie too (SCENARIOS='foundation app@trixie' for some); what CI runs"
	@echo "make check     the fast tier: lint + unit tests + one smoke scenario (SMOKE_SCENARIO=$(SMOKE_SCENARIO))"
	@echo "make lint      yamllint, ansible-lint (production profile) and ruff"
	@echo "make unit      the pytest unit tests (tests/unit)"
	@echo "make static    lint and the unit tests side by side (what test and check start with)"
	@echo "make molecule  the Molecule scenarios only (SCENARIOS=... for some; MOLECULE_JOBS=2 at a time)"
	@echo "make image     build the systemd test image of PLATFORM with debootstrap (once; reused while it exists); image-trixie etc. for one platform"
	@echo "make docker    make sure a Docker engine, debootstrap and the OpenSSH client are there (installs and starts them on Debian/Ubuntu as root or with sudo)"
	@echo "make venv      create $(VENV) with the pinned tools of requirements.txt (Python 3.11+)"
	@echo "make secrets   generate the demo secrets $(INVENTORY) lacks (group_vars/all/secrets.yml, mode 0600, git-ignored)"
	@echo "make clean     make down, and drop the fact cache"

# Bytecode only for what runs here, on every core: pip would compile all 19,000
# files one by one, 15,000 of them the other vendors' collections the `ansible`
# package bundles (a fresh venv in 64 s instead of 85 s, measured).
$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m compileall -q -j0 -x '/ansible_collections/(?!(ansible|community)/)' $(VENV)/lib >/dev/null
	touch $@

venv: $(BIN)/.installed

docker:
	@scripts/check-docker.sh

image: image-$(PLATFORM)

# image-bookworm, image-trixie: one platform's image.
image-%: docker
	@image=$$($(PLATFORMS_PY) image $*) && suite=$$($(PLATFORMS_PY) suite $*) || exit 2; \
	if [ "$$(id -u)" = 0 ]; then DJANGO_STACK_IMAGE=$$image DEBIAN_SUITE=$$suite scripts/build-test-image.sh; \
	else sudo DJANGO_STACK_IMAGE=$$image DEBIAN_SUITE=$$suite DEBIAN_MIRROR=$${DEBIAN_MIRROR:-} scripts/build-test-image.sh; fi

# The ansible.builtin.password lookup makes the values; existing ones are kept.
secrets: venv
	ansible-playbook -i $(INVENTORY) playbooks/local_secrets.yml

# venv and image side by side (independent; both slow on a fresh machine).
up:
	$(MAKE) --no-print-directory -j2 --output-sync=target venv image
	$(MAKE) --no-print-directory secrets
	ansible-playbook -i $(INVENTORY) playbooks/local_droplets.yml
	ansible-playbook -i $(INVENTORY) playbooks/site.yml
	ansible-playbook -i $(INVENTORY) playbooks/local_summary.yml

# The certificate again from pebble, and its current root in .local/ (pebble
# makes a new root and forgets its accounts whenever it restarts).
renew: venv
	ansible-playbook -i $(INVENTORY) playbooks/local_renew.yml

browser:
	@scripts/install-browser.sh

# The demo's CAs in .local/ (pebble's root, the S3 endpoint's CA) are trusted
# through a throwaway profile; *.localhost names go to the published ports.
smoke: venv browser
	$(BIN)/python scripts/smoke.py --site https://polls.localhost:8443 \
	  --resolve polls.localhost=127.0.0.1 --resolve s3.localhost=127.0.0.1 \
	  $(foreach ca,$(wildcard .local/*.pem),--ca $(ca)) \
	  --secrets-file $(INVENTORY)/group_vars/all/secrets.yml $(SMOKE_ARGS)

# pgbench and wrk on the local droplets; the report lands in reports/benchmark/.
bench: venv secrets
	ansible-playbook -i $(INVENTORY) playbooks/benchmark.yml $(BENCH_ARGS)

# site.yml timed on the local droplets, made afresh (the ones make up made are
# removed first): 4 app hosts, then the usual layout, fresh and no-op, then a
# rolling update to a new release and one back, timed per batch; the report
# lands in reports/perf/ (docs/performance.md).
perf: venv image secrets
	$(BIN)/python scripts/perf.py $(PERF_ARGS)

down: venv
	ansible-playbook -i $(INVENTORY) playbooks/local_droplets.yml -e local_droplets_state=absent

lint: venv
	yamllint -s .
	ansible-lint --offline
	ruff check .

unit: venv
	$(BIN)/python -m pytest tests/unit

molecule: venv
	$(MAKE) --no-print-directory $(call IMAGES_FOR,$(SCENARIOS))
	$(BIN)/python tests/run_scenarios.py $(SCENARIOS)

# Lint beside the unit tests: each keeps one core of the 2-core test machine
# busy (output grouped per target).
static: venv
	$(MAKE) --no-print-directory -j2 --output-sync=target lint unit

# On a fresh machine the test image is built beside the virtualenv and then
# beside lint and the unit tests (debootstrap mostly waits on dpkg and the
# network): 219 s instead of 296 s before the first scenario, measured. The
# scenarios come after: lint and the unit tests beside the scenarios slowed
# every step and ended later (measured).
# Every platform the runs need gets its image (both: CI runs balancer on trixie too).
PREPARE_TESTS = $(MAKE) --no-print-directory -j4 --output-sync=target lint unit $(call IMAGES_FOR,$(1))

test:
	$(call PREPARE_TESTS,$(SCENARIOS))
	$(BIN)/python tests/run_scenarios.py $(SCENARIOS)

check:
	$(call PREPARE_TESTS,$(SMOKE_SCENARIO))
	$(BIN)/python tests/run_scenarios.py $(SMOKE_SCENARIO)

clean: down
	rm -rf .cache
