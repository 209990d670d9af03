# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the run's recap (per-host counters, changed and failed tasks) to a JSON file.

Why a custom callback: no maintained callback writes the per-host stats and the changed tasks to a file beside the normal human output.
"""

from __future__ import annotations

DOCUMENTATION = r"""
    name: recap_json
    type: aggregate
    short_description: write the per-host recap and the changed tasks of a run to a JSON file
    description:
      - At the end of the run, writes the per-host counters of the PLAY RECAP, the tasks that
        reported C(changed) and the tasks that failed (or were unreachable) to a JSON file.
      - The human output of the stdout callback is left as it is.
      - 'The file holds C({"hosts": {HOST: {"ok": N, "changed": N, "unreachable": N, "failures": N, "skipped": N,
        "rescued": N, "ignored": N}}, "changed_tasks": ["HOST => ROLE : TASK", ...], "failed_tasks": [...],
        "tasks": [{"task": "ROLE : TASK", "seconds": S}, ...],
        "plays": [{"play": "PLAY", "hosts": [HOST, ...], "seconds": S}, ...]}).'
      - C(tasks) holds every task header (handlers included) in the order they ran, with its wall time, from
        its start to the start of the next one (or to the recap), as the profile_tasks callback counts it;
        C(scripts/perf.py) reads it for the slowest tasks of a run.
      - C(plays) holds every play start in the order they ran, with the play's name, the hosts it runs on
        and its wall time, from its start to the next play start (or to the recap). A play with C(serial)
        starts once per batch, so it has one entry per batch, each with the hosts of that batch (the
        play's hosts within the inventory restriction Ansible sets for the batch; hosts that failed
        earlier in the run are listed but run nothing). C(scripts/perf.py) reads it for the time per
        batch of a rolling update.
      - C(changed_tasks) names the tasks behind the C(changed) counters, ignored failures that
        report C(changed) included, as Ansible counts them.
      - Failures listed in C(failed_tasks) include those a block later rescued (the C(rescued)
        counter tells them apart); failures under C(ignore_errors) are not listed.
      - The file is replaced atomically (written beside it, then renamed). Nothing is written
        when the option is unset, nor when the run ends before its recap (for example when the
        playbook does not parse).
    requirements:
      - enable in configuration (C(callbacks_enabled))
    options:
      path:
        description: The file to write the recap to. Unset or empty, the callback does nothing.
        type: path
        env:
          - name: DJANGO_STACK_RECAP_FILE
"""

import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402


def _host_name(result) -> str:
    host = getattr(result, "host", None) or result._host
    return host.get_name()


def _task_name(result) -> str:
    task = getattr(result, "task", None) or result._task
    return task.get_name().strip()


def _result(result) -> dict:
    data = getattr(result, "result", None)
    return result._result if data is None else data


def _play_hosts(play) -> list[str]:
    """The hosts the play runs on now: its pattern within the inventory's restriction (the batch, with serial)."""
    manager = play.get_variable_manager()
    inventory = getattr(manager, "_inventory", None)
    if inventory is None:
        return []
    return [host.get_name() for host in inventory.get_hosts(play.hosts or "all", order=play.order)]


class CallbackModule(CallbackBase):
    """Aggregate callback: the recap of the run as JSON, for tests to read."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "recap_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self.changed_tasks: list[str] = []
        self.failed_tasks: list[str] = []
        self.tasks: list[dict] = []
        self._started: float | None = None
        self.plays: list[dict] = []
        self._play_started: float | None = None

    def _task_start(self, task) -> None:
        self._task_end()
        self.tasks.append({"task": task.get_name().strip(), "seconds": 0.0})
        self._started = time.monotonic()

    def _task_end(self) -> None:
        if self._started is not None and self.tasks:
            self.tasks[-1]["seconds"] = round(time.monotonic() - self._started, 3)
        self._started = None

    def _play_end(self) -> None:
        if self._play_started is not None and self.plays:
            self.plays[-1]["seconds"] = round(time.monotonic() - self._play_started, 3)
        self._play_started = None

    def v2_playbook_on_play_start(self, play) -> None:
        # The TaskQueueManager sends this once per batch of a play with serial,
        # after the playbook executor restricted the inventory to the batch's hosts.
        # (A task's time runs on to the next task, as profile_tasks counts it.)
        self._play_end()
        self.plays.append({"play": play.get_name().strip(), "hosts": _play_hosts(play), "seconds": 0.0})
        self._play_started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task) -> None:
        self._task_start(task)

    def v2_runner_on_ok(self, result) -> None:
        if _result(result).get("changed"):
            self.changed_tasks.append(f"{_host_name(result)} => {_task_name(result)}")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        if not ignore_errors:
            self.failed_tasks.append(f"{_host_name(result)} => {_task_name(result)}")
        elif _result(result).get("changed"):
            # Ansible counts an ignored failure that says "changed" as a change:
            # name it too, so that the list explains the counter.
            self.changed_tasks.append(f"{_host_name(result)} => {_task_name(result)}")

    def v2_runner_on_unreachable(self, result) -> None:
        self.failed_tasks.append(f"{_host_name(result)} => {_task_name(result)} (unreachable)")

    def v2_playbook_on_stats(self, stats) -> None:
        self._task_end()
        self._play_end()
        path = self.get_option("path")
        if not path:
            return
        hosts = {}
        for host in sorted(stats.processed):
            summary = stats.summarize(host)
            hosts[host] = {
                key: int(summary.get(key, 0)) for key in ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")
            }
        recap = {"hosts": hosts, "changed_tasks": self.changed_tasks, "failed_tasks": self.failed_tasks, "tasks": self.tasks,
                 "plays": self.plays}
        directory = os.path.dirname(os.path.abspath(path))
        fd, temporary = tempfile.mkstemp(prefix=".recap-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(recap, handle, indent=1)
                handle.write("\n")
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
