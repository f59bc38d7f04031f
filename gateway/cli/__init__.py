"""The `gateway` command. Each command group lives in its own module and is registered here."""
from __future__ import annotations

from .base import cli, main  # noqa: F401
from . import agencies, claims, db, demo, doctor, purge, shops  # noqa: F401  (they register their commands on `cli`)


def _register_optional() -> None:
    # Commands of parts that may not be installed in every build are added when present.
    import importlib

    for module, attr in (("gateway.cli.agency_sim", "command"),
                         ("gateway.cli.dunning", "command"),
                         ("gateway.cli.serve", "command"),
                         ("gateway.cli.sync", "command"),
                         ("gateway.cli.worker", "command"),
                         ("gateway.cli.outbox", "command"),
                         ("gateway.cli.logins", "command"),
                         ("gateway.cli.staff", "command"),):
        try:
            cli.add_command(getattr(importlib.import_module(module), attr))
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_register_optional()
