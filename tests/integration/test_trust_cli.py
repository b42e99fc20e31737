"""`clientbook verify`, `checkpoint`, `public-key`, `export log` and the offline verifier
(issue 13): one line on stderr and a non-zero exit on damage or bad input, nothing written."""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import clientbook.verify
from clientbook import Actor, ClientBook
from clientbook.cli import main

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})


def cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with ClientBook.open(url) as book:
        for i in range(6):
            book.customers.register(
                number=f"C-{i:06d}",
                kind="individual",
                name="Li Lei",
                manager="m-007",
                by=CLERK,
                on=D,
            )
        customer = book.find("C-000001")
        book.customers.close(customer, reason="left the bank", by=CLERK, on=D)
        book.close_of_business(D)
        book.customers.erase_personal_data(customer, reason="asked", by=CLERK, on=D)
    return url


def head_of(url: str) -> int:
    with ClientBook.open(url) as book:
        return book.head


def checkpointed(url: str) -> int:
    """The position close of business signed."""
    with ClientBook.open(url) as book:
        (checkpoint,) = book.trust.checkpoints()
        return checkpoint.position


def flip_a_byte(url: str, position: int) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute(
            "UPDATE stored_events SET state = replace(state, 'u-clerk', 'u-clerx') WHERE rowid = ?",
            (position,),
        )


def test_verify_passes_on_a_sound_log_in_text_and_json(db: str) -> None:
    head = head_of(db)
    code, out, _ = cli(db, "verify")
    assert code == 0 and out.startswith(f"sound: {head} events, positions 1 to {head};")
    code, out, _ = cli(db, "verify", "--format", "json", "--from", "2", "--to", "5")
    report = json.loads(out)
    assert code == 0
    assert (report["ok"], report["from"], report["to"], report["events"]) == (True, 2, 5, 4)


def test_verify_names_the_damage_on_one_line_of_stderr_and_exits_1(db: str) -> None:
    flip_a_byte(db, 4)
    code, out, err = cli(db, "verify")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "altered at position 4: the event at position 4 does not match its link: its stored "
        "fields were changed; sound up to position 3"
    ]
    code, out, _ = cli(db, "verify", "--format", "json")
    assert code == 1
    assert json.loads(out)["damage"]["kind"] == "altered"
    assert json.loads(out)["damage"]["position"] == 4


def test_bad_options_are_refused_in_one_line(db: str, tmp_path: Path) -> None:
    code, _, err = cli(db, "verify", "--from", "5", "--to", "2")
    assert code == 2 and "--to 2 is before --from 5" in err and "Traceback" not in err
    (tmp_path / "not-a-key.pem").write_text("hello")
    code, _, err = cli(db, "verify", "--public-key", str(tmp_path / "not-a-key.pem"))
    assert code == 2 and "cannot read a public key" in err


def test_checkpoints_signed_by_another_key_fail_verification(db: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    ClientBook.open(other).close()
    assert cli(other, "public-key", "-o", str(tmp_path / "other.pub"))[0] == 0
    code, _, err = cli(db, "verify", "--public-key", str(tmp_path / "other.pub"))
    assert code == 1
    assert err.startswith(f"bad signature at position {checkpointed(db)}: checkpoint 1 ")


def test_checkpoint_signs_the_head_now(db: str) -> None:
    head = head_of(db)
    code, out, _ = cli(db, "checkpoint", "--on", "2026-11-03", "--note", "audit visit")
    assert code == 0 and out.startswith(f"checkpoint at position {head} (chain event {head}): ")
    with ClientBook.open(db) as book:
        made = book.trust.checkpoints()[-1]
        assert made.signed_by(book.signing.public_key())
    assert (made.business_date, made.note, made.position) == ("2026-11-03", "audit visit", head)


def test_a_postgres_book_without_a_key_refuses_to_checkpoint_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conftest import postgres_schema_url

    schema = postgres_schema_url()
    url = next(schema)
    try:
        monkeypatch.delenv("CLIENTBOOK_SIGNING_KEY", raising=False)
        code, _, err = cli(url, "checkpoint")
        assert code == 2
        assert err.splitlines() == [
            "Error: this PostgreSQL book has no signing key for checkpoints: set "
            "CLIENTBOOK_SIGNING_KEY to an Ed25519 private key (PEM, or 32 bytes as hex)"
        ]
        with ClientBook.open(url) as book:
            assert book.trust.checkpoints() == []
            book.customers.register(
                number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
            )
            book.close_of_business(D)  # goes on, signing nothing
            assert book.trust.checkpoints() == []
            head = book.head
        assert cli(url, "verify")[:2] == (
            0,
            f"sound: {head} events, positions 1 to {head}; 0 signed checkpoints match the chain\n",
        )
    finally:
        next(schema, None)


def test_a_memory_book_says_it_has_no_chain() -> None:
    code, _, err = cli("memory:", "verify")
    assert code == 2 and "a book in memory keeps no hash chain" in err


def _offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The verifier as an auditor runs it: the module file alone, no site-packages but
    cryptography's, no database."""
    alone = tmp_path / "auditor" / "clientbook"
    alone.mkdir(parents=True)
    (alone / "__init__.py").write_text("")
    (alone / "verify.py").write_bytes(Path(clientbook.verify.__file__).read_bytes())
    import cryptography

    site = str(Path(cryptography.__file__).parent.parent)
    env = {"PYTHONPATH": f"{alone.parent}{os.pathsep}{site}", "PATH": os.environ["PATH"]}
    command = [sys.executable, "-S", "-m", "clientbook.verify", *args]
    return subprocess.run(
        command, cwd=alone.parent, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_export_verifies_offline_and_damage_is_named_with_its_position(
    db: str, tmp_path: Path
) -> None:
    export, key, head = tmp_path / "log.jsonl", tmp_path / "bank.pub", head_of(db)
    out = cli(db, "export", "log", str(export))[1]
    assert out == f"exported {head} log positions to {export}\n"
    assert cli(db, "public-key", "-o", str(key))[0] == 0
    sound = _offline(tmp_path, str(export), "--public-key", str(key))
    assert sound.returncode == 0, sound.stderr
    assert sound.stdout.startswith(
        f"sound: {head} events, positions 1 to {head}; 1 signed checkpoints"
    )
    lines = export.read_text().splitlines()
    lines[3] = lines[3].replace("u-clerk", "u-clerx")
    export.write_text("\n".join(lines) + "\n")
    damaged = subprocess.run(  # also run as it is installed here, in JSON
        [
            sys.executable,
            "-m",
            "clientbook.verify",
            str(export),
            "--public-key",
            str(key),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert damaged.returncode == 1
    assert json.loads(damaged.stdout)["damage"]["position"] == 3
    alone = _offline(tmp_path / "again", str(export), "--public-key", str(key))
    assert alone.returncode == 1 and alone.stderr.startswith("altered at position 3:")


def test_the_offline_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(clientbook.verify.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_an_unchained_log_is_reported_until_sealed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with ClientBook.open(url) as book:
        book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
        )
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute(  # as a book from before it: its events have no links
            "UPDATE stored_events SET chain_seq = NULL, chain_link = NULL"
        )
    code, _, err = cli(url, "verify")
    assert code == 1 and err.startswith("unchained at position 1: ")
    assert "clientbook verify --seal-existing" in err
    code, out, err = cli(url, "verify", "--seal-existing")
    assert code == 0 and "sealed 1 events up to position 1" in err
    assert out.startswith("sound: 1 events")
    code, _, err = cli(url, "verify", "--seal-existing")
    assert code == 2 and "the log is chained already" in err


def test_a_book_whose_key_file_went_missing_refuses_a_new_key(db: str) -> None:
    key_file = Path(f"{db.removeprefix('sqlite:///')}.signing-key")
    key_file.unlink()
    code, _, err = cli(db, "checkpoint")
    assert code == 2 and "is missing, but it signed this book's checkpoints" in err
    assert not key_file.exists()
    with ClientBook.open(db) as book:
        assert len(book.trust.checkpoints()) == 1  # nothing written
    code, _, err = cli(db, "verify")
    assert code == 2 and "restore it" in err
