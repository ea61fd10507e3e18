"""The original files kept for the history: secret columns emptied, everything else as sent."""

from __future__ import annotations

import io
from pathlib import Path

from rosterport.csvio import originals

SENT = (
    b"School_id,Student_id,Username,password \r\n"
    b'02M800,1,jdoe,"s3cret, with a comma"\r\n'
    b"02M800,2,asmith,hunter2,extra field\r\n"  # malformed: kept with its field count
    b"02M800,3\r\n"  # too short: nothing to empty
    b"02M800,4,caf\xe9,p\xe4ss\r\n"  # not UTF-8: kept as it was, but the password
)


def test_the_secret_column_is_emptied_and_every_row_kept(tmp_path: Path) -> None:
    sent, kept = tmp_path / "students.csv", tmp_path / "kept.csv"
    sent.write_bytes(SENT)
    with sent.open("rb") as stream:  # whatever the case and spaces of the header
        assert originals.may_hold_secrets(stream, {"Password"})
    originals.without_secrets(sent, {"Password"}, kept)
    assert kept.read_bytes() == (
        b"School_id,Student_id,Username,password \r\n"
        b"02M800,1,jdoe,\r\n"
        b"02M800,2,asmith,,extra field\r\n"
        b"02M800,3\r\n"
        b"02M800,4,caf\xe9,\r\n"
    )


def test_a_file_without_a_secret_column_is_told_from_its_header() -> None:
    for content in (b"School_id,School_name\n1,Springfield High\n", b""):
        assert not originals.may_hold_secrets(io.BytesIO(content), {"password"})


def test_a_header_longer_than_the_head_is_read_whole(tmp_path: Path) -> None:
    """A secret column pushed past the bytes read first (long junk headers) is still found."""
    junk = b",".join(b"x" * 1000 + str(n).encode() for n in range(1100))  # > 1 MB
    sent, kept = tmp_path / "students.csv", tmp_path / "kept.csv"
    sent.write_bytes(junk + b",Password\n" + b"," * 1100 + b"hunter2\n")
    with sent.open("rb") as stream:
        assert originals.may_hold_secrets(stream, {"password"})
    originals.without_secrets(sent, {"password"}, kept)
    assert b"hunter2" not in kept.read_bytes()


def test_a_secret_file_that_is_not_csv_is_not_kept(tmp_path: Path) -> None:
    sent, kept = tmp_path / "students.csv", tmp_path / "kept.csv"
    sent.write_bytes(b'Student_id,Password\n1,"' + b"x" * (1 << 25) + b'"\n')  # a 32 MB field
    originals.without_secrets(sent, {"password"}, kept)
    assert kept.read_text(encoding="utf-8") == originals.UNREADABLE_NOTE
