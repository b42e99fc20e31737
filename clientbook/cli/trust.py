"""`clientbook verify`, `checkpoint`, `public-key` and `export log`: the log's trust at the
command line. Registered on the `clientbook` group by cli.py."""

from __future__ import annotations

import json
import pathlib
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clientbook import ClientBook, DomainError
from clientbook.verify import load_public_key

LONG_LOG = 20_000
"""Logs longer than this many positions get a progress bar (on stderr)."""

_stderr = Console(stderr=True)


class _Refused(click.ClickException):
    """A request that could not be carried out (no key, no chain): exit status 2, so that a
    script tells it from a damaged log (1)."""

    exit_code = 2


@contextmanager
def _book(ctx: click.Context) -> Iterator[ClientBook]:
    """The book, with a domain error (bad input, no key) as one line on stderr, exit 2."""
    with ClientBook.open(ctx.find_root().obj) as book:
        if book.personal_data_unavailable:
            click.echo(f"warning: {book.personal_data_unavailable}", err=True)
        try:
            yield book
        except DomainError as error:
            raise _Refused(str(error)) from None


@contextmanager
def _progress(task: str, total: int) -> Iterator[Any]:
    """A progress callback (position, last) that draws a bar on stderr for long logs only."""
    if total < LONG_LOG:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_stderr, transient=True) as bar:
        handle = bar.add_task(task, total=total)
        yield lambda done, last: bar.update(handle, completed=done, total=last)


def _public_key(path: str | None) -> Any:
    if path is None:
        return None
    try:
        return load_public_key(pathlib.Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"cannot read a public key from {path}: {error}") from None


@click.command()
@click.option(
    "--from",
    "first",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="First log position to verify.",
)
@click.option("--to", "last", type=click.IntRange(min=1), help="Last log position to verify.")
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(dir_okay=False),
    help="PEM file of the key checkpoints must be signed with (default: the book's).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--seal-existing",
    is_flag=True,
    help="Chain a log written before the book kept a chain, and sign a checkpoint.",
)
@click.pass_context
def verify(
    ctx: click.Context,
    first: int,
    last: int | None,
    key_file: str | None,
    fmt: str,
    seal_existing: bool,
) -> None:
    """Recompute the log's hash chain, check every aggregate's versions and every checkpoint's
    signature; name the first damage found. Exit status 1 if the log is not sound, 2 if it
    could not be verified."""
    if last is not None and last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    key = _public_key(key_file)
    with _book(ctx) as book:
        if seal_existing:
            sealed = book.trust.seal_existing()
            click.echo(
                f"sealed {sealed.seq:,} events up to position {sealed.position:,}; "
                "a checkpoint signed",
                err=True,
            )
        with _progress("verifying", last or book.head) as progress:
            verdict = book.trust.verify(first, last, public_key=key, progress=progress)
    if fmt == "json":
        click.echo(json.dumps(verdict.as_dict()))
    elif verdict.ok:
        click.echo(verdict.summary())
    if not verdict.ok:
        if fmt == "text":
            click.echo(verdict.summary(), err=True)
        ctx.exit(1)


@click.command()
@click.option(
    "--on",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The business date the checkpoint is for (default: none).",
)
@click.option("--note", default="requested", show_default=True)
@click.pass_context
def checkpoint(ctx: click.Context, on: datetime | None, note: str) -> None:
    """Sign the chain's link at the head of the log now and keep the checkpoint."""
    with _book(ctx) as book:
        made = book.trust.checkpoint(on=on.date() if on else None, note=note)
    click.echo(
        f"checkpoint at position {made.position:,} (chain event {made.seq:,}): {made.link.hex()}"
    )


@click.command("public-key")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.pass_context
def public_key(ctx: click.Context, output: str | None) -> None:
    """The public key that verifies the book's checkpoints (PEM)."""
    with _book(ctx) as book:
        pem = book.trust.public_key_pem()
    if output:
        pathlib.Path(output).write_text(pem, encoding="ascii")
    else:
        click.echo(pem, nl=False)


@click.command("log")
@click.argument("output", type=click.Path(dir_okay=False))
@click.pass_context
def export_log(ctx: click.Context, output: str) -> None:
    """The log as stored (personal data sealed), its chain, checkpoints and public key in one
    file, for `python -m clientbook.verify FILE --public-key KEY`."""
    with _book(ctx) as book, _progress("exporting", book.head) as progress:
        count = book.trust.export(pathlib.Path(output), progress)
    click.echo(f"exported {count:,} log positions to {output}")


def register(main: click.Group, export: click.Group) -> None:
    for command in (verify, checkpoint, public_key):
        main.add_command(command)
    export.add_command(export_log)
