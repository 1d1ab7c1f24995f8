"""Defaults per task (token shapes, SLOs, request rates), each with where it comes from.

Read from ``knowledge/data/task_defaults.yaml``. These are shown to users as assumptions they can
change; this module only reads the packaged file.
"""

from __future__ import annotations

from functools import cache

import yaml
from pydantic import ValidationError

from domain.errors import ConfigurationError
from domain.requirements import Task, TaskDefaults
from knowledge.catalog import YAML_LOADER, data_path


@cache
def _read() -> dict[Task, TaskDefaults]:
    path = data_path("task_defaults.yaml")
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    defaults: dict[Task, TaskDefaults] = {}
    for name, entry in document.items():
        try:
            task = Task(name)
            defaults[task] = TaskDefaults.model_validate({"task": task, **entry})
        except (ValueError, ValidationError) as exc:
            raise ConfigurationError(f"{path}: task {name!r}: {exc}") from exc
    missing = [task.value for task in Task if task not in defaults]
    if missing:
        raise ConfigurationError(f"{path}: no defaults for {', '.join(missing)}")
    return defaults


def task_defaults() -> dict[Task, TaskDefaults]:
    """Defaults for every task.

    Returns:
        Task → its defaults (with ``source`` naming where they come from).

    Raises:
        ConfigurationError: When the packaged file is malformed or misses a task.
    """
    return dict(_read())
