"""The platforms the local droplets and the scenarios run on, and which scenario runs where.

A platform is a Debian release that scripts/build-test-image.sh builds with
debootstrap (its suite) into a systemd image (its tag). ``DJANGO_STACK_IMAGE_<NAME>``
(e.g. DJANGO_STACK_IMAGE_TRIXIE) points a platform at an image of your own.

A run is a scenario on a platform, named ``scenario`` on the default platform
(DJANGO_STACK_PLATFORM, which make sets from PLATFORM; bookworm unless set) and ``scenario@platform`` on another. With no
scenario named, every scenario runs on the default platform and the ones in
ALSO_ON on their second platform too (what `make test` and CI run).

Standard library only: the Makefile asks it which images to build before the
virtualenv exists.
Usage: platforms.py image|suite PLATFORM | platforms.py needed [RUN ...]
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name: (debootstrap suite, image tag). The tag's version goes up when what
# the image holds changes, so that an older image is never reused.
PLATFORMS: dict[str, tuple[str, str]] = {
    "bookworm": ("bookworm", "django-stack/debian12-systemd:3"),
    "trixie": ("trixie", "django-stack/debian13-systemd:3"),
}
DEFAULT = "bookworm"

# Scenarios that also run on a second platform, where their whole test suite
# runs. When both runs are in one session, the run on the other platform
# verifies the state tests only (VERIFY_VARIABLE=state: the scenario's conftest
# leaves out the tests that change the stack, i.e. rollouts, scale-out, the
# benchmark and restores): both platforms converge every role, idempotent and
# --check clean, within CI's time budget.
ALSO_ON: dict[str, str] = {"balancer": "trixie"}
VERIFY_VARIABLE = "DJANGO_STACK_VERIFY"


def check(name: str) -> str:
    if name not in PLATFORMS:
        raise ValueError(f"unknown platform {name!r}: one of {', '.join(PLATFORMS)}")
    return name


def image(name: str) -> str:
    """A platform's image: DJANGO_STACK_IMAGE_<NAME>, or DJANGO_STACK_IMAGE for the
    default platform, when set; else the one scripts/build-test-image.sh builds."""
    own = os.environ.get(f"DJANGO_STACK_IMAGE_{check(name).upper()}")
    if not own and name == default_platform():
        own = os.environ.get("DJANGO_STACK_IMAGE")
    return own or PLATFORMS[name][1]


def suite(name: str) -> str:
    return PLATFORMS[check(name)][0]


def default_platform() -> str:
    return check(os.environ.get("DJANGO_STACK_PLATFORM") or DEFAULT)


def scenarios(root: Path = ROOT) -> list[str]:
    return sorted(p.parent.name for p in (root / "molecule").glob("*/molecule.yml"))


@dataclass(frozen=True)
class Run:
    scenario: str
    platform: str
    state_only: bool = False

    @property
    def name(self) -> str:
        return self.scenario if self.platform == default_platform() else f"{self.scenario}@{self.platform}"

    def env(self) -> dict[str, str]:
        """What the scenario's actions need: the platform's image, and the verify selection."""
        env = {"DJANGO_STACK_IMAGE": image(self.platform), "DJANGO_STACK_PLATFORM": self.platform}
        if self.state_only:
            env[VERIFY_VARIABLE] = "state"
        return env


def parse(text: str) -> tuple[str, str]:
    scenario, _, platform = text.partition("@")
    return scenario, check(platform) if platform else default_platform()


def runs(names: list[str] | None = None, known: list[str] | None = None) -> list[Run]:
    """The runs of ``names`` (every scenario, plus ALSO_ON's, when none is named), each once."""
    known = scenarios() if known is None else known
    if names:
        pairs = [parse(n) for n in names]
    else:
        pairs = [(s, default_platform()) for s in known]
        pairs += [(s, p) for s, p in ALSO_ON.items() if s in known and p != default_platform()]
    unknown = sorted({s for s, _ in pairs} - set(known))
    if unknown:
        raise ValueError(f"no such scenario: {', '.join(unknown)} (molecule/*/molecule.yml has {', '.join(known)})")
    pairs = list(dict.fromkeys(pairs))
    platforms_of: dict[str, set[str]] = {}
    for scenario, platform in pairs:
        platforms_of.setdefault(scenario, set()).add(platform)
    return [
        Run(s, p, state_only=s in ALSO_ON and p != ALSO_ON[s] and ALSO_ON[s] in platforms_of[s])
        for s, p in pairs
    ]


def main(argv: list[str]) -> int:
    usage = __doc__.strip().splitlines()[-1]
    try:
        if len(argv) == 2 and argv[0] in {"image", "suite"}:
            print(image(argv[1]) if argv[0] == "image" else suite(argv[1]))
        elif argv and argv[0] == "needed":
            print(" ".join(dict.fromkeys(r.platform for r in runs(argv[1:]))))
        else:
            print(usage, file=sys.stderr)
            return 2
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
