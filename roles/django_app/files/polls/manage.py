#!/usr/bin/env python3
"""Command-line entry point of the polls project."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError("Django is not importable. Is it installed, and is the virtualenv active?") from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
