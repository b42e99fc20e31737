"""The `clientbook` command: the demo, the audit trail, the raw log, rebuilds and reports. It
uses only public names: `clientbook`'s, and those of the public packages `clientbook.reports`
and `clientbook.adapters` and the module `clientbook.demo`."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clientbook import (
    CFPB_COLUMNS,
    DEFAULT_URL,
    PERIODIC,
    REPORTS,
    Actor,
    ClientBook,
    DomainError,
    Parameters,
    ServiceError,
    StoreUrlError,
    __version__,
    default_period,
    parse_store_url,
    reproduce,
    run_report,
)
from clientbook.adapters import UCI_CURRENCY, UCI_LAST_DAY, read_uci_file
from clientbook.reports import (
    FORMATS,
    Column,
    Listing,
    columns,
    listings,
    report_json,
    to_csv,
    to_json,
    to_table,
)
from clientbook.cli.trust import register as register_trust_commands

console = Console(width=None if sys.stdout.isatty() else 10_000)
"""Piped or redirected, output is never cut to a terminal's width."""

_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; csv or json (types kept: amounts with their currency, ISO dates) "
    "for scripts.",
)


def _reporter(bar: Progress) -> Callable[[str, int, int], None]:
    """A progress callback, (task name, done, total), drawing one bar per task."""
    tasks: dict[str, Any] = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done)

    return progress


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


class _Unavailable(click.ClickException):
    """A ServiceError (the store did not answer, other work holds the book, a view is behind):
    nothing was wrong with the request; one line on stderr, exit status 75."""

    exit_code = 75  # EX_TEMPFAIL: a temporary failure, try again later


class _Commands(click.Group):
    """The commands, with a ServiceError, a store that cannot be opened or a refused request
    from any of them turned into one line on stderr, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ServiceError as error:
            raise _Unavailable(_one_line(error)) from None
        except (StoreUrlError, DomainError) as error:
            raise click.ClickException(_one_line(error)) from None
        except click.UsageError as error:  # a bad option of a command: one line, exit status 2
            where = f"; see '{error.ctx.command_path} --help'" if error.ctx else ""
            raise click.UsageError(_one_line(error.format_message()).rstrip(".") + where) from None


def _one_line(error: BaseException | str) -> str:
    return " ".join(str(error).split())


def _write_file(path: str, text: str, what: str) -> None:
    """Write a file the user named; a path that cannot be written is one line, not a trace."""
    try:
        pathlib.Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write the {what} to {path}: {error.strerror}") from None


@click.group(cls=_Commands)
@click.option(
    "--db",
    "url",
    default=DEFAULT_URL,
    envvar="CLIENTBOOK_DB",
    help="Store URL: sqlite:///path.db, postgresql://user@host/db[?schema=s] or memory: "
    "(default: the environment variable CLIENTBOOK_DB, else sqlite:///clientbook.db).",
)
@click.version_option(__version__, prog_name="clientbook")
@click.pass_context
def main(ctx: click.Context, url: str) -> None:
    """clientbook: an event-sourced book of a bank's customers.

    Every listing takes --format table|csv|json. Shell completion (bash; zsh and fish alike):
    eval "$(_CLIENTBOOK_COMPLETE=bash_source clientbook)"."""
    ctx.obj = url


def _open(ctx: click.Context, *, create: bool = False) -> ClientBook:
    """The book at --db. Only the commands that write a book (demo, import) create one: to
    every other, a store that does not exist is a mistyped URL, never a new empty book."""
    book = ClientBook.open(ctx.obj, create=create)
    _say_if_unreadable(book)
    return book


def _say_if_unreadable(book: ClientBook) -> None:
    """One line on stderr when the book's personal data cannot be read (its key is missing)."""
    if book.personal_data_unavailable:
        click.echo(f"warning: {book.personal_data_unavailable}", err=True)


@main.command()
@click.option("--customers", default=150, show_default=True, help="Customers to register.")
@click.option("--days", default=365, show_default=True, help="Business days to run.")
@click.option("--managers", default=8, show_default=True, help="Relationship managers.")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same book and reports.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2026-07-01",
    show_default=True,
    help="First business date.",
)
@click.option(
    "--cards-from",
    type=click.Path(exists=True, dir_okay=False),
    help="Shape card applicants and their habits on real holders: the UCI card CSV.",
)
@click.option(
    "--html",
    "html_file",
    default="clientbook-report.html",
    show_default=True,
    help="Where to write the self-contained HTML report ('' for none).",
)
@click.option("--reset", is_flag=True, help="Delete an existing SQLite store first.")
@click.pass_context
def demo(
    ctx: click.Context,
    customers: int,
    days: int,
    managers: int,
    seed: int,
    start: datetime,
    cards_from: str | None,
    html_file: str,
    reset: bool,
) -> None:
    """Build a realistic book over a year of business days, closing each day; print the
    headline of every report and write the HTML report."""
    from clientbook.demo import Demo

    profiles = read_uci_file(pathlib.Path(cards_from)) if cards_from else []
    store = parse_store_url(ctx.obj)
    if reset and store.sqlite_path:
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(store.sqlite_path + suffix).unlink(missing_ok=True)
    with _open(ctx, create=True) as book:
        if book.head:
            raise click.ClickException(
                f"{ctx.obj} already holds {book.head:,} events; run `clientbook demo --reset` "
                "to start the demo again, or choose another store with --db"
            )
        first = start.date()
        with _progress() as bar:
            task = bar.add_task("business days", total=days)
            run = Demo(book, seed=seed, managers=managers, start=first, card_profiles=profiles)
            last = run.run(
                customers=customers,
                days=days,
                progress=lambda done, _: bar.update(task, completed=done),
            )
        console.print(
            f"[bold]{book.head:,}[/] events in {ctx.obj}; "
            f"{run.refused} commands refused by the rules (nothing written for them)"
        )
        _print_directory(book)
        for name in REPORTS:
            _show(name, run_report(book, name, Parameters(last, first, last), digest=False).report)
        _print_detected_groups(book)
        if html_file:
            _write_html(book, last, book.head, html_file)


@main.command()
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option(
    "--from",
    "period_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Period start (managers, complaints, migration; portfolio: write-offs from). "
    "Default: the first day of the as-of date's month.",
)
@click.option(
    "--to",
    "period_to",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Period end (managers, complaints, migration). Default: the as-of date.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Business date the report is as of (default: the period's end, else the last "
    "business date closed, else today).",
)
@click.option(
    "--position",
    type=click.IntRange(min=0),
    default=None,
    help="Log position to cut the log at (default: the head now): later events are ignored.",
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False),
    help="Write the report's manifest (position, log digest, policy, version, parameters, "
    "rows) to this JSON file; `clientbook reproduce FILE` re-runs and compares it.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),
    help="Also write the self-contained HTML report (every chart) as of the same point.",
)
@click.option(
    "--currency",
    help="portfolio: the currency of the cards to report on, where the book's cards are in "
    "several (default: the one they are in).",
)
@_format_option
@click.option(
    "--table",
    help="With --format csv: which of the report's tables (default: its "
    "main one; an unknown name lists them).",
)
@click.pass_context
def report(
    ctx: click.Context,
    name: str,
    period_from: datetime | None,
    period_to: datetime | None,
    as_of: datetime | None,
    position: int | None,
    manifest: str | None,
    html_file: str | None,
    currency: str | None,
    fmt: str,
    table: str | None,
) -> None:
    """Print a report: managers, complaints or migration for a period (default: the month up
    to the as-of date, said on stderr); groups, classification, aging or portfolio as of a
    date. Any report can be cut at a past log position."""
    start = period_from.date() if period_from else None
    end = period_to.date() if period_to else None
    if currency is not None and name != "portfolio":
        raise click.UsageError(
            f"--currency is for the portfolio, whose cards may be in several; the {name} "
            "report has no such choice"
        )
    with _open(ctx) as book:
        on = as_of.date() if as_of else (end or book.last_business_date_closed or date.today())
        if name in PERIODIC and (start is None or end is None):
            start, end = default_period(on, start, end)
            click.echo(
                f"period not given: {start} to {end} (the month up to the as-of date)", err=True
            )
        try:
            run = run_report(
                book,
                name,
                Parameters(on, start, end, currency),
                position=position,
                digest=manifest is not None,
            )
        except DomainError as error:
            raise click.UsageError(str(error)) from None
        _show(name, run.report, fmt, table)
        if manifest:
            text = json.dumps(run.manifest, indent=1, ensure_ascii=False)
            _write_file(manifest, text, "manifest")
            click.echo(
                f"manifest: {manifest} (log position {run.manifest['log']['position']:,},"
                f" {len(run.rows)} rows)",
                err=True,
            )
        if html_file:
            _write_html(book, on, run.manifest["log"]["position"], html_file, currency)


@main.command("reproduce")
@click.argument("manifest_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def reproduce_(ctx: click.Context, manifest_file: str) -> None:
    """Re-run a report from its manifest and compare it row by row (exit status 1 if it
    differs, or if the log up to its position has changed)."""
    try:
        manifest = json.loads(pathlib.Path(manifest_file).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.UsageError(f"{manifest_file} is not a JSON report manifest: {error}") from None
    with _open(ctx) as book:
        try:
            result = reproduce(book, manifest)
        except DomainError as error:
            raise click.UsageError(str(error)) from None
    console.print(
        f"{result.report} report at log position {result.position:,}: {result.rows} rows compared"
    )
    if result.log_unchanged is None:
        console.print("[yellow]the manifest has no log digest: the log itself was not checked[/]")
    elif not result.log_unchanged:
        console.print(
            "[red]the log up to that position is not the one the report was made from "
            f"({result.log_damage or 'its digest differs'})[/]"
        )
    elif result.checkpoint is not None:
        console.print(
            f"the log up to that position is vouched for by signed checkpoint {result.checkpoint}"
        )
    if not result.policy_unchanged:
        console.print("[red]the policy settings in force differ from the manifest's[/]")
    if result.version_then != result.version_now:
        console.print(
            f"made by clientbook {result.version_then}, reproduced by {result.version_now}"
        )
    if result.differences:
        table = Table("row", "in the manifest", "now", title="rows that differ")
        for d in result.differences:
            table.add_row(
                d.key,
                "(absent)" if d.expected is None else d.expected,
                "(absent)" if d.actual is None else d.actual,
            )
        console.print(table)
    if result.identical:
        console.print("[green]identical[/]: same log, same policy, same rows")
    else:
        ctx.exit(1)


def _write_html(
    book: ClientBook, on: date, position: int, path: str, currency: str | None = None
) -> None:
    from clientbook.reports.html import collect, render_html  # a public module: the page

    inputs = collect(book, as_of=on, position=position, currency=currency)
    _write_file(path, render_html(inputs), "HTML report")
    console.print(f"HTML report: {path}")


@main.command()
@click.option(
    "--as-of",
    "as_of",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The business date: the book as it stood on it.",
)
@_format_option
@click.pass_context
def worklist(ctx: click.Context, as_of: datetime, fmt: str) -> None:
    """Open complaints by deadline, with days left or overdue on a business date: the book as
    it stood on that date (a complaint received later is not there yet)."""
    on = as_of.date()
    with _open(ctx) as book, book.as_of(on=on) as past:
        items = past.complaint_cards.worklist(on)
    listing = Listing(
        f"Open complaints as of {on}",
        columns("complaint", "step", "department", "deadline", "days_left"),
        tuple((i.number, i.step, i.department, i.deadline, i.days_left) for i in items),
    )
    _emit(listing, fmt, as_of=on)


@main.command()
@click.option("--actor", default=None, help="A user id: only what this person may decide.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="A role the actor holds (repeat for several); with --actor.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The business date ages are counted to (default: today).",
)
@_format_option
@click.pass_context
def approvals(
    ctx: click.Context, actor: str | None, roles: tuple[str, ...], as_of: datetime | None, fmt: str
) -> None:
    """Four-eyes steps waiting for a decision, oldest first: with --actor and --role, only
    those that person may decide (never their own, within their authority)."""
    on = as_of.date() if as_of else date.today()
    with _open(ctx) as book:
        who = Actor(actor, set(roles)) if actor else None
        waiting = book.approvals.pending(for_actor=who, on=on)
    title = f"Waiting for a decision on {on}" + (f", for {actor}" if actor else "")
    listing = Listing(
        title,
        (
            *columns("step", "what", "proposed_by"),
            Column("amount"),
            *columns("proposed_on", "age_days", "may_decide"),
        ),
        tuple(
            (a.step, a.what, a.proposed_by, a.amount, a.proposed_on, a.age_days, a.may_decide)
            for a in waiting
        ),
    )
    _emit(listing, fmt, as_of=on)


@main.command("call-backs")
@click.option("--manager", default=None, help="Only this manager's list.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The business date (default: the last one closed, else today).",
)
@_format_option
@click.pass_context
def call_backs(ctx: click.Context, manager: str | None, as_of: datetime | None, fmt: str) -> None:
    """Customers each manager is to call back for a campaign, until contacted: by manager and
    follow-up date, overdue ones marked."""
    with _open(ctx) as book:
        on = as_of.date() if as_of else (book.last_business_date_closed or date.today())
        calls = book.campaigns.call_backs(on=on, manager=manager)
    listing = Listing(
        f"Campaign call-backs on {on}" + (f" for {manager}" if manager else ""),
        (
            *columns("manager", "customer", "campaign", "started"),
            Column("due", "follow up by"),
            Column("overdue"),
        ),
        tuple((c.manager, c.customer, c.campaign, c.started, c.due, c.overdue) for c in calls),
    )
    _emit(listing, fmt, as_of=on)


@main.command("close-of-business")
@click.option(
    "--through",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The last business date to close (default: today).",
)
@click.pass_context
def close_of_business(ctx: click.Context, through: datetime | None) -> None:
    """The daily job a bank schedules: close every business date not closed yet, up to
    --through, in date order (one process at a time; another waits, then finds them closed)."""
    last = through.date() if through else date.today()
    with _open(ctx) as book:
        done = book.last_business_date_closed
        if done is not None and done >= last:
            click.echo(f"nothing to close: business dates are closed through {done}", err=True)
            return
        dates = (
            [last]
            if done is None
            else [done + timedelta(days=n) for n in range(1, (last - done).days + 1)]
        )
        with _progress() as bar:
            task = bar.add_task("close of business", total=len(dates))
            for n, day in enumerate(dates, 1):
                for closed in book.close_of_business(day).days:  # none if another process did
                    changes = ", ".join(f"{k} {v:,}" for k, v in closed.changes.items())
                    bar.console.print(f"{closed.on}: closed ({changes})")
                bar.update(task, completed=n)


def _emit(listing: Listing, fmt: str, **context: Any) -> None:
    """A listing in the format asked for; `context` (the as-of date…) goes into the JSON."""
    if fmt == "json":
        click.echo(to_json(listing, **context))
    elif fmt == "csv":
        click.echo(to_csv(listing), nl=False)
    else:
        console.print(to_table(listing))


@main.group("import")
def import_() -> None:
    """Replay outside data through the real commands."""


@import_.command("uci-cards")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--rows", type=click.IntRange(min=1), default=None, help="Only the first N card holders."
)
@click.pass_context
def import_uci_cards(ctx: click.Context, path: str, rows: int | None) -> None:
    """The UCI "default of credit card clients" data as card accounts over six business months."""
    import pathlib
    import time

    read_uci_file(pathlib.Path(path), rows)  # a file that is not the data: refused, no book made
    with _open(ctx, create=True) as book, _progress() as bar:
        progress = _reporter(bar)

        started = time.perf_counter()
        try:
            events = book.import_uci_cards(pathlib.Path(path), rows=rows, progress=progress)
        except DomainError as error:  # a part of this file was imported before with other rows
            raise click.ClickException(str(error)) from None
        seconds = time.perf_counter() - started
    if events:
        console.print(f"{events:,} events in {seconds:,.1f} s ({events / seconds:,.0f} events/s)")
    else:
        console.print(f"{path} was imported into this book before: nothing left to write")
    with _open(ctx) as book:
        cards = book.card_accounts.portfolio(as_of=UCI_LAST_DAY, currency=UCI_CURRENCY)
        _show("portfolio", cards)


@main.group()
def export() -> None:
    """Export data in shapes other systems know."""


@export.command("cfpb")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--company", default="clientbook institution", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The complaint log as it stood on this business date (default: now).",
)
@click.pass_context
def export_cfpb(
    ctx: click.Context, output: str | None, company: str, fmt: str, as_of: datetime | None
) -> None:
    """The complaint log with the US CFPB complaint database's columns."""
    with _open(ctx) as book:
        if as_of is None:
            rows = book.complaint_cards.cfpb(company)
        else:
            with book.as_of(on=as_of.date()) as past:
                rows = past.complaint_cards.cfpb(company)
    if fmt == "json":
        text = json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    else:
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=list(CFPB_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = stream.getvalue()
    if output:
        _write_file(output, text, "export")
    else:
        click.echo(text, nl=False)


@main.command()
@click.option(
    "--aggregate",
    help="An aggregate id, or a customer, card account, credit line or complaint number, or a "
    "group's name.",
)
@click.option("--actor", help="A user id: only what this actor did.")
@click.option("--event-type", help="An event type such as ContactRecorded.")
@click.option("--from", "on_from", type=click.DateTime(["%Y-%m-%d"]), help="Business date from.")
@click.option("--to", "on_to", type=click.DateTime(["%Y-%m-%d"]), help="Business date to.")
@click.option(
    "--recorded-from",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Recorded at or after (UTC).",
)
@click.option(
    "--recorded-to",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Recorded before (UTC; a date alone means its midnight).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many events (default: all).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The trail as the book stood on this business date (the one as-of rule).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "jsonl"]),
    default="table",
    show_default=True,
    help="json: one document; jsonl: one event a line.",
)
@click.pass_context
def trail(
    ctx: click.Context,
    aggregate: str | None,
    actor: str | None,
    event_type: str | None,
    on_from: datetime | None,
    on_to: datetime | None,
    recorded_from: datetime | None,
    recorded_to: datetime | None,
    limit: int | None,
    as_of: datetime | None,
    fmt: str,
) -> None:
    """The audit trail: every event with who, when recorded, business date and what changed;
    an approval under four eyes shows who proposed what it approves."""
    with _open(ctx) as book, book.as_of(on=as_of.date() if as_of else None) as past:
        try:
            aggregate_id = book.find(aggregate) if aggregate else None
        except DomainError as error:
            raise click.UsageError(str(error)) from None
        entries = (past if as_of else book).audit.trail(
            aggregate=aggregate_id,
            actor=actor,
            event_type=event_type,
            on_from=on_from.date() if on_from else None,
            on_to=on_to.date() if on_to else None,
            recorded_from=recorded_from.replace(tzinfo=timezone.utc) if recorded_from else None,
            recorded_to=recorded_to.replace(tzinfo=timezone.utc) if recorded_to else None,
            limit=limit,
        )
        rows: list[dict[str, Any]] = [
            {
                "position": e.position,
                "recorded_at": e.recorded_at.isoformat(),
                "business_date": e.business_date.isoformat() if e.business_date else "",
                "actor": e.actor,
                "aggregate": f"{e.aggregate_type} {e.aggregate_id}",
                "version": e.version,
                "event": e.event_type,
                "proposed_by": e.proposed_by or "",
                "proposal_position": e.proposal_position or "",
                "changes": e.changes,
            }
            for e in entries
        ]
        if fmt == "jsonl":
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False, default=str))
        elif fmt == "json":
            click.echo(
                json.dumps(
                    {"title": "Audit trail", "as_of": as_of and as_of.date(), "rows": rows},
                    indent=1,
                    ensure_ascii=False,
                    default=str,
                )
            )
        elif fmt == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["position"])
            writer.writeheader()
            writer.writerows(
                {**r, "changes": json.dumps(r["changes"], ensure_ascii=False, default=str)}
                for r in rows
            )
        else:
            table = Table(
                "pos", "recorded", "on", "actor", "aggregate", "v", "event", "four eyes", "changes"
            )
            for r in rows:
                pair = (
                    f"{r['proposed_by']} (#{r['proposal_position']}) → {r['actor']}"
                    if r["proposed_by"]
                    else ""
                )
                table.add_row(
                    str(r["position"]),
                    r["recorded_at"][:19],
                    r["business_date"],
                    r["actor"],
                    r["aggregate"][:30] if console.is_terminal else r["aggregate"],
                    str(r["version"]),
                    r["event"],
                    pair,
                    json.dumps(r["changes"], ensure_ascii=False, default=str)[
                        : 80 if console.is_terminal else None
                    ],
                )
            console.print(table)


@main.command()
@click.option("--after", default=0, show_default=True, help="Start after this log position.")
@click.pass_context
def events(ctx: click.Context, after: int) -> None:
    """The raw log as JSON lines, exactly as stored (personal data stays sealed)."""
    with _open(ctx) as book:
        for record in book.events(after=after):
            click.echo(
                json.dumps(
                    {
                        "position": record.position,
                        "aggregate_id": str(record.aggregate_id),
                        "version": record.version,
                        "topic": record.topic,
                        "state": json.loads(record.state),
                    },
                    ensure_ascii=False,
                )
            )


_JOBS = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to share the projections out among (each reads the log once).",
)


@main.command()
@_JOBS
@click.pass_context
def rebuild(ctx: click.Context, jobs: int) -> None:
    """Rebuild every projection from zero."""
    with _open(ctx) as book, _progress() as bar:
        progress = _reporter(bar)

        head = book.projections.rebuild(progress, jobs=jobs)
    console.print(f"rebuilt {len(book.projections.projections)} projections to position {head:,}")


def _print_detected_groups(book: ClientBook) -> None:
    found = book.credit_reports.detect_groups()
    for a, b, kind in found.outside:
        console.print(f"[yellow]connected but not grouped together:[/] {a} – {b} ({kind})")


def _print_directory(book: ClientBook) -> None:
    entries = book.directory.search()
    by_status: dict[str, int] = {}
    for entry in entries:
        by_status[entry.status] = by_status.get(entry.status, 0) + 1
    lapsed = sum(entry.lapsed for entry in entries)
    console.print(
        "Customers by status: "
        + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items()))
        + f"; lapsed (to call back): {lapsed}"
    )


def _complaints_text(r: Any) -> None:
    """The complaints report for people: its measures in one table, the pairs that belong
    together on one line."""
    table = Table(
        title=f"Complaints, {r.period_from} to {r.period_to}, as of {r.as_of} "
        f"(log position {r.position:,})",
        show_header=False,
    )
    percent = "-" if r.closed_in_time_percent is None else f"{r.closed_in_time_percent}%"
    average = "-" if r.average_days_to_close is None else f"{r.average_days_to_close}"
    for label, value in (
        ("received / accepted / rejected", f"{r.received} / {r.accepted} / {r.rejected}"),
        ("closed (in time)", f"{r.closed} ({r.closed_in_time}, {percent})"),
        ("open and overdue on the as-of date", str(r.open_overdue)),
        ("reopened", str(r.reopened)),
        ("days to close: average / maximum", f"{average} / {r.max_days_to_close or '-'}"),
        ("compensation approved", ", ".join(map(str, r.compensation_approved)) or "-"),
        ("compensation paid", ", ".join(map(str, r.compensation_paid)) or "-"),
        ("average follow-up satisfaction", str(r.average_satisfaction or "-")),
        ("by category", ", ".join(f"{k} {v}" for k, v in r.by_category) or "-"),
        ("by channel", ", ".join(f"{k} {v}" for k, v in r.by_channel) or "-"),
        ("by department", ", ".join(f"{k} {v}" for k, v in r.by_department) or "-"),
    ):
        table.add_row(label, value)
    console.print(table)


def _show(name: str, report: Any, fmt: str = "table", table: str | None = None) -> None:
    """A report in the format asked for: every table of it (terminal), one table (CSV, the
    main one unless --table names another), or the whole report object (JSON)."""
    tables = listings(name, report)
    if table is not None and table not in tables:
        raise click.UsageError(
            f"the {name} report has no table {table!r}; it has {', '.join(tables)}"
        )
    if fmt == "json":
        click.echo(report_json(name, report))
    elif fmt == "csv":
        click.echo(to_csv(tables[table or next(iter(tables))]), nl=False)
    elif name == "complaints":
        _complaints_text(report)
    else:
        for listing in tables.values():
            if listing.rows:
                console.print(to_table(listing))


@main.group()
def projections() -> None:
    """The read side: run workers, see where each projection stands, rebuild, retry, skip."""


@projections.command("run")
@click.argument("names", nargs=-1)
@click.option(
    "--poll",
    default=1.0,
    show_default=True,
    help="Seconds between polls of the log (PostgreSQL also wakes on NOTIFY).",
)
@click.option("--no-listen", is_flag=True, help="Poll only; do not LISTEN for notifications.")
@click.pass_context
def projections_run(
    ctx: click.Context, names: tuple[str, ...], poll: float, no_listen: bool
) -> None:
    """Keep the named projections (default: all) current until Ctrl-C or SIGTERM, which stop
    the worker after the page in hand. One worker advances each projection (a lease); another
    takes over when it stops or dies."""
    import signal
    import threading

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with _open(ctx) as book:
        try:
            book.projections.named(names)
        except DomainError as error:
            raise click.UsageError(str(error)) from None
        held: list[str] = []

        def on_round(now: list[str]) -> None:
            if now != held:
                click.echo(
                    f"{datetime.now(timezone.utc):%H:%M:%S} {book.leases.holder} holds "
                    f"{', '.join(now) or 'no projection'}",
                    err=True,
                )
                held[:] = now

        def on_error(error: BaseException) -> None:
            click.echo(
                f"{datetime.now(timezone.utc):%H:%M:%S} {type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}; trying again",
                err=True,
            )

        book.projections.run(
            names, stop=stop, poll=poll, listen=not no_listen, on_round=on_round, on_error=on_error
        )
        click.echo("worker stopped", err=True)


@projections.command("status")
@_format_option
@click.pass_context
def projections_status(ctx: click.Context, fmt: str) -> None:
    """Per projection: version, position, head, lag, state, last error, lease holder."""
    with _open(ctx) as book:
        rows = book.projections.status()
    if fmt == "json":
        click.echo(json.dumps([_status_json(row) for row in rows], indent=1, ensure_ascii=False))
        return
    if fmt == "csv":
        flat = [
            {
                k: json.dumps(v) if isinstance(v, (dict, list)) else v
                for k, v in _status_json(row).items()
            }
            for row in rows
        ]
        writer = csv.DictWriter(
            sys.stdout, fieldnames=list(flat[0]) if flat else ["name"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(flat)
        return
    table = Table(
        "projection",
        "version",
        "position",
        "lag",
        "lag (s)",
        "state",
        "worker",
        "last error or decision",
    )
    for row in rows:
        version = f"{row.stored_version or '-'}" + (
            f" → {row.version}" if row.needs_rebuild else ""
        )
        state = row.state + (" (needs rebuild)" if row.needs_rebuild else "")
        note = (
            f"at {row.failure.position}: {row.failure.event_type}: {row.failure.error}"
            if row.failure
            else _decision_text(row.last_decision)
        )
        table.add_row(
            row.name,
            version,
            f"{row.position:,}",
            f"{row.lag_events:,}",
            f"{row.lag_seconds:.1f}",
            state,
            row.holder or "",
            note,
        )
    Console(width=max(console.width, 160)).print(table)  # one row a line, piped or not


def _decision_text(decision: Any) -> str:
    if decision is None:
        return ""
    where = f" at {decision.position}" if decision.position is not None else ""
    return f"{decision.decision}{where} by {decision.actor}: {decision.reason}"


def _status_json(row: Any) -> dict[str, Any]:
    import attrs

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return attrs.asdict(row, value_serializer=lambda _, __, value: plain(value))


@projections.command("rebuild")
@click.argument("names", nargs=-1)
@_JOBS
@click.pass_context
def projections_rebuild(ctx: click.Context, names: tuple[str, ...], jobs: int) -> None:
    """Rebuild the named projections (default: all) from the log, without downtime: the new
    tables fill while the old ones answer, and replace them in one transaction."""
    with _open(ctx) as book, _progress() as bar:
        progress = _reporter(bar)

        try:
            head = book.projections.rebuild(progress, names, jobs=jobs)
        except DomainError as error:
            raise click.UsageError(str(error)) from None
    console.print(f"rebuilt {', '.join(names) or 'every projection'} to position {head:,}")


def _operator() -> str:
    import getpass

    return getpass.getuser()


@projections.command("retry")
@click.argument("name")
@click.option("--by", "actor", default=_operator, help="Who decides (default: this OS user).")
@click.option("--reason", default="", help="Why (recorded with the decision).")
@click.pass_context
def projections_retry(ctx: click.Context, name: str, actor: str, reason: str) -> None:
    """Clear a stopped projection's failure and process from where it stopped."""
    with _open(ctx) as book:
        try:
            position = book.projections.retry(name, by=actor, reason=reason)
        except DomainError as error:
            raise click.UsageError(str(error)) from None
    console.print(f"{name} retried by {actor}; it stands at position {position:,}")


@projections.command("skip")
@click.argument("name")
@click.option("--position", type=int, required=True, help="The position it stopped at.")
@click.option("--reason", required=True, help="Why the event may be passed over.")
@click.option("--by", "actor", default=_operator, help="Who decides (default: this OS user).")
@click.pass_context
def projections_skip(ctx: click.Context, name: str, position: int, reason: str, actor: str) -> None:
    """Pass over the one event a projection stopped at: an operator's decision, recorded with
    who made it and why, shown in the status."""
    with _open(ctx) as book:
        try:
            book.projections.skip(name, position=position, reason=reason, by=actor)
        except DomainError as error:
            raise click.UsageError(str(error)) from None
    console.print(f"{name}: position {position:,} skipped by {actor}")


register_trust_commands(main, export)  # verify, checkpoint, public-key, export log

if __name__ == "__main__":
    main()
