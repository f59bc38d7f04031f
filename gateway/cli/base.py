"""The root click group, shared options, and how errors reach the user: one line, no traceback."""
from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from gateway import logs
from gateway.config import ConfigError, Settings, load
from gateway.domain.errors import DomainError
from gateway.store.database import DatabaseUnavailable
from gateway.store.schema import SchemaOutOfDate

EXIT_FAILURE = 1
EXIT_CONFIG = 2


class CliError(click.ClickException):
    """A one-line error for the user; exit code 1 unless given."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def fail(message: str, exit_code: int = EXIT_FAILURE) -> NoReturn:
    raise CliError(message, exit_code)


def echo_changed(subject: str, changed: list[str]) -> None:
    """What a `set` command changed, in one line ("shop x: changed seat, password")."""
    click.echo(f"{subject}: changed {', '.join(changed)}" if changed
               else f"{subject}: nothing to change")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="TOML file with settings (GATEWAY_* variables override it).")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """inkasso-gateway: hands shops' unpaid invoices to collection agencies over SOAP."""
    ctx.obj = {"config_file": config_file}


def settings_of(ctx: click.Context) -> Settings:
    """Load settings once per command; configures logging as a side effect."""
    root = ctx.find_root()
    if "settings" not in root.obj:
        settings = load(root.obj.get("config_file"))
        logs.configure(settings.log_level, settings.log_format)
        root.obj["settings"] = settings
    return root.obj["settings"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: expected failures become one line on stderr and a non-zero exit."""
    try:
        cli.main(args=argv, prog_name="gateway", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_FAILURE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ConfigError, DatabaseUnavailable, SchemaOutOfDate) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except DomainError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # last line of defence: log it, show one line
        logs.get_logger("gateway.cli").exception("unexpected error")
        click.echo(f"error: unexpected {type(exc).__name__}; see the log for details", err=True)
        sys.exit(EXIT_FAILURE)
