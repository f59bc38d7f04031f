"""`gateway sync`: nightly status sync (changes feed) and `--full` reconciliation.

Exit codes: 0 all went well; 1 some claims failed (named in the summary and the
report by shop and shop claim id); 2 configuration or connection error (agency
unreachable, credentials refused, database down), with one clear line.
"""
from __future__ import annotations

import sys
from contextlib import nullcontext

import click

from gateway import app, logs
from gateway.sync import run_sync
from gateway.sync.full import ACCOUNTING_MODES

from .base import EXIT_CONFIG, EXIT_FAILURE, CliError, settings_of


@click.command("sync")
@click.option("--full", is_flag=True,
              help="Reconcile every open claim with the agency instead of reading the "
                   "changes feed (weekly).")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256),
              help="--full: agency calls in flight.")
@click.option("--max-rps", default=50.0, show_default=True, type=click.FloatRange(0),
              help="Agency calls per second at most, over all threads (0: no limit).")
@click.option("--accounting", type=click.Choice(ACCOUNTING_MODES), default="auto",
              show_default=True,
              help="--full: ask for the accounting summary only where money can have moved "
                   "(auto) or for every claim (always).")
@click.option("--restart", is_flag=True,
              help="--full: ignore a checkpoint; start from the first claim.")
@click.option("--shop", "only", multiple=True, metavar="SHOP_ID",
              help="Sync only this shop (repeatable); default: every shop.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True),
              help="Also write the summary as JSON to this file.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar with rate and ETA (default: when stderr is a terminal).")
@click.option("--metrics-file", type=click.Path(dir_okay=False, writable=True),
              help="Also write the run's metrics (Prometheus text, for node_exporter's "
                   "textfile collector) to this file.")
@click.pass_context
def command(ctx, full, concurrency, max_rps, accounting, restart, only, report_file,
            progress, metrics_file) -> None:
    """Bring every claim's status and accounting in line with the agency."""
    settings = settings_of(ctx)
    correlation_id = logs.bind_correlation_id(job="sync-full" if full else "sync")
    gw = app.build(settings)  # DatabaseUnavailable / SchemaOutOfDate -> exit 2 in main()
    try:
        agencies = app.AgencyRegistry(settings)
        try:
            show = progress if progress is not None else sys.stderr.isatty()
            bar = _Progress("full" if full else "changes") if show else None
            with bar or nullcontext():
                report = run_sync(
                    gw, agencies, correlation_id=correlation_id, full=full,
                    concurrency=concurrency, max_rps=max_rps, accounting=accounting,
                    restart=restart, only=tuple(only), progress=bar)
        finally:
            agencies.close()
        if metrics_file:
            from gateway.sync.metrics import write_run_metrics

            write_run_metrics(metrics_file, report, gw.engine)
    finally:
        gw.close()
    for line in report.summary_lines():
        click.echo(line)
    if report_file:
        report.write_json(report_file)
    if report.aborted:
        raise CliError(report.aborted, EXIT_CONFIG)
    if report.unreachable:
        raise CliError(f"agency unreachable for {', '.join(sorted(report.unreachable))}; the "
                       "other accounts were synced, see the summary", EXIT_CONFIG)
    if report.config_errors:
        raise CliError(f"configuration error for {', '.join(sorted(report.config_errors))}"
                       "; see the summary", EXIT_CONFIG)
    if report.failed:
        raise CliError(f"{report.failed} claim(s) failed; see the summary"
                       + (f" and {report_file}" if report_file else ""), EXIT_FAILURE)


class _Progress:
    """rich progress bar with rate and ETA on stderr; the total is known for --full only."""

    def __init__(self, mode: str):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._progress = Progress(TextColumn(f"sync {mode}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("[progress.data.speed]{task.fields[rate]}"),
                                  TimeElapsedColumn(), TimeRemainingColumn(),
                                  console=Console(stderr=True))
        self._task = self._progress.add_task("claims", total=None, rate="")

    def __enter__(self) -> "_Progress":
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def set_total(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)
        speed = self._progress.tasks[0].speed
        if speed:
            self._progress.update(self._task, rate=f"{speed:.0f} claims/s")
