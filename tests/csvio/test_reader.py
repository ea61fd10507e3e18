"""The CSV reader: bytes → header, cells and spreadsheet row numbers, or a FileProblem.

The properties write random tables with Python's csv module (the reference for RFC 4180)
and check that the reader gives back exactly those cells with the rows a spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rosterport.csvio import reader
from rosterport.csvio.reader import read_table
from rosterport.domain.inputs import FIELDS, FileProblem, RawTable
from tests.conftest import csv_text, problem, records, table

# Characters that stress CSV: separators, quotes, every line break, spaces, non-ASCII
# (2-, 3- and 4-byte UTF-8). A blank cell is empty or only spaces and tabs.
_CHARS = list("ab Z9,\"\n\r\t;'é中😀")
ENDINGS = ("\n", "\r\n", "\r")


@dataclass(frozen=True)
class Written:
    """A table as written, and the bytes the csv module produced for it."""

    header: list[str]
    rows: list[list[str]]
    data: bytes


def _write(header: list[str], rows: list[list[str]], endings: list[str], *, last: bool) -> str:
    """CSV text of `header` + `rows`, each record ended by its own line ending.

    Python's writer only quotes a field that contains a character of its *own* line
    terminator, so a record with any line break in it is written fully quoted. A blank line
    after a CR ends with CR too: CR then LF would be one CRLF line break.
    """
    out = io.StringIO()
    previous = ""
    for record, ending in zip([header, *rows], endings, strict=True):
        broken = any("\r" in cell or "\n" in cell for cell in record)
        previous = "\r" if previous == "\r" and not record else ending
        if broken:
            csv.writer(out, lineterminator=previous, quoting=csv.QUOTE_ALL).writerow(record)
        else:  # QUOTE_MINIMAL
            csv.writer(out, lineterminator=previous).writerow(record)
    text = out.getvalue()
    return text if last else text.removesuffix(previous)


cells = st.text(st.sampled_from(_CHARS), max_size=6)
names = st.text(st.sampled_from(_CHARS), min_size=1, max_size=6).filter(str.strip)


@st.composite
def written(draw: st.DrawFn, *, ragged: bool) -> Written:
    width = draw(st.integers(1, 4))
    header = draw(st.lists(names, min_size=width, max_size=width))
    row_width = st.integers(0, width + 2) if ragged else st.just(width)
    rows = draw(
        st.lists(row_width.flatmap(lambda n: st.lists(cells, min_size=n, max_size=n)), max_size=6)
    )
    style = draw(st.sampled_from([*ENDINGS, "mixed"]))
    count = len(rows) + 1
    if style == "mixed":
        endings = draw(st.lists(st.sampled_from(ENDINGS), min_size=count, max_size=count))
    else:
        endings = [style] * count
    text = _write(header, rows, endings, last=draw(st.booleans()))
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return Written(header, rows, bom + text.encode("utf-8"))


def _expected(case: Written) -> list[tuple[int, list[str]]]:
    """Spreadsheet rows: header 1, then one row per record; blank records are not records
    unless they have more fields than the header (then they are malformed)."""
    width = len(case.header)
    expected = []
    for row, record in enumerate(case.rows, start=2):
        cells_ = (record + [""] * width)[:width]
        if any(c.strip(" \t") for c in cells_) or len(record) > width:
            expected.append((row, cells_))
    return expected


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(written(ragged=False))
def test_reader_returns_exactly_the_cells_and_rows_written(case: Written) -> None:
    result = read_table("students.csv", case.data)
    expected = _expected(case)
    if not expected:
        assert isinstance(result, FileProblem)
        assert result.code == "empty-file"
        return
    assert isinstance(result, RawTable), result
    assert list(result.header) == [h.strip() for h in case.header]
    assert records(result) == expected
    assert result.blank_rows == len(case.rows) - len(expected)


@PROPERTY
@given(written(ragged=True))
def test_reader_counts_the_fields_of_every_row(case: Written) -> None:
    result = read_table("students.csv", case.data)
    expected = _expected(case)
    if not expected:
        assert isinstance(result, FileProblem)
        return
    assert isinstance(result, RawTable), result
    assert records(result) == expected
    kept = {row for row, _ in expected}
    fields = [len(record) for row, record in enumerate(case.rows, start=2) if row in kept]
    assert result.frame[FIELDS].to_list() == fields


@PROPERTY
@given(written(ragged=True))
def test_a_file_read_from_its_path_reads_as_its_bytes(case: Written) -> None:
    # from a path polars reads the file itself (its bytes never loaded whole) when its line
    # endings allow; whichever way, the table is the same
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "students.csv"
        path.write_bytes(case.data)
        from_path = read_table("students.csv", path)
    from_bytes = read_table("students.csv", case.data)
    if isinstance(from_bytes, FileProblem):
        assert from_path == from_bytes
        return
    assert isinstance(from_path, RawTable), from_path
    assert from_path.header == from_bytes.header
    assert from_path.frame.equals(from_bytes.frame)
    assert from_path.blank_rows == from_bytes.blank_rows


# -- specific files ---------------------------------------------------------------------------


def test_header_is_row_1_and_first_record_row_2() -> None:
    raw = table(csv_text("School_id,Student_id", "S1,1", "S1,2"))
    assert raw.header == ("School_id", "Student_id")
    assert records(raw) == [(2, ["S1", "1"]), (3, ["S1", "2"])]


def test_quoted_value_spanning_lines_counts_as_the_row_it_starts_on() -> None:
    raw = table(csv_text("id,note", '1,"line one', 'line two"', "2,plain", '3,"a ""quoted"", b"'))
    assert records(raw) == [
        (2, ["1", "line one\nline two"]),
        (3, ["2", "plain"]),
        (4, ["3", 'a "quoted", b']),
    ]


def test_header_cells_are_trimmed_and_may_span_lines() -> None:
    raw = table(csv_text(' School_id ,"Student', '_id"', "S1,1"))
    assert raw.header == ("School_id", "Student\n_id")
    assert records(raw) == [(2, ["S1", "1"])]


@pytest.mark.parametrize("ending", ENDINGS, ids=["lf", "crlf", "cr"])
def test_line_endings(ending: str) -> None:
    raw = table(csv_text("a,b", "1,2", '3,"x y"', end=ending))
    assert records(raw) == [(2, ["1", "2"]), (3, ["3", "x y"])]


def test_mixed_line_endings_in_one_file() -> None:
    raw = table(b"a,b\r\n1,2\r3,4\n5,6\r\n7,8")
    assert records(raw) == [(2, ["1", "2"]), (3, ["3", "4"]), (4, ["5", "6"]), (5, ["7", "8"])]


def test_line_breaks_inside_quotes_are_kept_as_written() -> None:
    raw = table(b'a,b\r\n1,"x\r\ny"\r\n2,"p\rq"\r\n3,"m\nn"\r\n')
    assert records(raw) == [(2, ["1", "x\r\ny"]), (3, ["2", "p\rq"]), (4, ["3", "m\nn"])]


def test_utf8_bom_is_not_part_of_the_first_header() -> None:
    raw = table(b"\xef\xbb\xbfSchool_id,School_name\r\nS1,\xc3\x89cole Fran\xc3\xa7aise\r\n")
    assert raw.header == ("School_id", "School_name")
    assert records(raw) == [(2, ["S1", "École Française"])]


def test_blank_lines_keep_their_row_number_but_are_not_records() -> None:
    raw = table(csv_text("a,b", "1,2", "", "   ", ",", "3,4"))
    assert records(raw) == [(2, ["1", "2"]), (6, ["3", "4"])]
    assert raw.blank_rows == 3
    assert raw.rows == 2


def test_values_keep_their_spaces() -> None:
    # Trimming is the validator's business: the reader returns cells as written.
    raw = table(csv_text("a,b", ' 1 ," 2 "'))
    assert records(raw) == [(2, [" 1 ", " 2 "])]


def test_rows_with_too_few_or_too_many_fields() -> None:
    raw = table(csv_text("a,b,c", "1,2,3", "4,5", "6,7,8,9", '"x,y",z,', "10,11,12"))
    assert records(raw) == [
        (2, ["1", "2", "3"]),
        (3, ["4", "5", ""]),
        (4, ["6", "7", "8"]),
        (5, ["x,y", "z", ""]),
        (6, ["10", "11", "12"]),
    ]
    assert raw.frame[FIELDS].to_list() == [3, 2, 4, 3, 3]


def test_row_of_only_commas_beyond_the_header_is_a_record() -> None:
    raw = table(csv_text("a,b", "1,2", ",,,"))
    assert records(raw) == [(2, ["1", "2"]), (3, ["", ""])]
    assert raw.frame[FIELDS].to_list() == [2, 4]


def test_stray_quote_inside_an_unquoted_value_is_kept() -> None:
    raw = table(csv_text("name,nick", 'Dwayne "The Rock" Johnson,rock', "Ann,a"))
    assert records(raw) == [(2, ['Dwayne "The Rock" Johnson', "rock"]), (3, ["Ann", "a"])]


def test_malformed_rows_after_a_multiline_value_keep_their_rows() -> None:
    raw = table(csv_text("a,b", '1,"x', 'y"', "2", "3,4"))
    assert records(raw) == [(2, ["1", "x\ny"]), (3, ["2", ""]), (4, ["3", "4"])]
    assert raw.frame[FIELDS].to_list() == [2, 1, 2]


# -- files that cannot be read ----------------------------------------------------------------


def test_windows_1252_is_unreadable_with_a_hint() -> None:
    data = "School_id,Last_name\r\nS1,Smith\r\nS1,Müller\r\n".encode("cp1252")
    found = problem(data)
    assert found.code == "unreadable-file"
    assert "Save it as 'CSV UTF-8" in found.message
    assert "row 3, column 2 (B), at byte offset 35" in found.message


def test_broken_utf8_after_a_bom_is_unreadable() -> None:
    found = problem(b"\xef\xbb\xbfa,b\n1,caf\xe9\n")
    assert found.code == "unreadable-file"
    assert "not UTF-8" in found.message


def test_utf16_is_unreadable() -> None:
    found = problem("a,b\r\n1,2\r\n".encode("utf-16"))
    assert found.code == "unreadable-file"
    assert "UTF-16" in found.message
    assert "CSV UTF-8" in found.message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_unreadable(encoding: str) -> None:
    data = "School_id,Student_id,Last_name\r\nS1,1,Müller\r\n".encode(encoding)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    found = problem(data)
    assert found.code == "unreadable-file"
    assert found.message == (
        "students.csv cannot be read: it is saved as UTF-16 ('Unicode Text'); "
        "save it as 'CSV UTF-8 (Comma delimited)'"
    )  # the same words as for UTF-16 with a byte-order mark, not "missing columns"


def test_nul_bytes_here_and_there_are_not_utf16() -> None:
    raw = table(b"a,b\n1,x\x00y\n")
    assert records(raw) == [(2, ["1", "x\x00y"])]


def test_not_utf8_says_where_without_quoting_the_text() -> None:
    data = (
        "School_id,Teacher_id,Last_name,Password\r\n"
        'S1,T1,"Lee, Jr.",Coo0ooyahgh\r\n'
        "S1,T2,Roe,TopSécretPW-111\r\n"
    ).encode("latin-1")
    found = problem(data, "teachers.csv")
    assert found.message == (
        "teachers.csv cannot be read: it is not UTF-8 (byte 0xE9 in row 3, column 4 (D), at "
        "byte offset 85); saved as Windows-1252 or Latin-1? Save it as 'CSV UTF-8 (Comma "
        "delimited)'"
    )
    assert data[85:86] == b"\xe9"
    for secret in ("TopS", "cretPW", "PW-111", "Coo0o", "Roe"):
        assert secret not in found.message


def test_not_utf8_inside_a_multiline_value_names_the_row_it_starts_on() -> None:
    found = problem(b'a,b,c\n1,"x,\ny\xe9",3\n')
    assert "row 2, column 2 (B)" in found.message


def test_column_letters_go_past_z() -> None:
    found = problem(b",".join(b"c%d" % i for i in range(30)) + b"\n" + b"," * 27 + b"\xe9\n")
    assert "row 2, column 28 (AB)" in found.message


@pytest.mark.parametrize("width", [2_001, 100_000])
def test_a_header_wider_than_the_limit_is_refused_before_parsing(width: int) -> None:
    header = ",".join(f"c{i}" for i in range(width)).encode()
    data = header + b"\n" + b"1," * (width - 1) + b"1\n"
    started = time.monotonic()
    found = problem(data)
    assert time.monotonic() - started < 5
    assert found.code == "unreadable-file"
    assert found.message == (
        f"students.csv cannot be read: its header row has {width:,} columns, more than the "
        "limit of 2,000; keep only the columns of the data model (the templates list them), "
        "and check that row 1 is the header row"
    )


def test_a_header_at_the_limit_is_read() -> None:
    header = ",".join(f"c{i}" for i in range(2_000))
    assert len(table(header + "\n" + "1," * 1_999 + "1\n").header) == 2_000


def test_a_header_with_an_open_quote_is_read_in_one_pass() -> None:
    data = b'a,"b\n' + b"1,2\n" * 200_000
    started = time.monotonic()
    found = read_table("students.csv", data)
    assert time.monotonic() - started < 5
    assert isinstance(found, (RawTable, FileProblem))


def test_xlsx_renamed_to_csv_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    found = problem(buffer.getvalue())
    assert found.code == "unreadable-file"
    assert "Excel workbook (.xlsx)" in found.message
    assert "CSV UTF-8" in found.message


def test_old_xls_renamed_to_csv_is_unreadable() -> None:
    found = problem(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert found.code == "unreadable-file"
    assert ".xls" in found.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"\r\n \r\n", b" , \n,,\n"])
def test_file_without_header_is_empty(data: bytes) -> None:
    found = problem(data)
    assert found.code == "empty-file"
    assert "no header row" in found.message


@pytest.mark.parametrize("data", [b"a,b", b"a,b\n", b"a,b\r\n\r\n", b"a,b\n,\n  ,  \n"])
def test_header_only_file_is_empty(data: bytes) -> None:
    found = problem(data)
    assert found.code == "empty-file"
    assert "header row but no records" in found.message


def test_quote_left_open_is_unreadable_and_names_its_row() -> None:
    found = problem(csv_text("a,b", "1,2", '3,"open', "4,5"))
    assert found.code == "unreadable-file"
    assert "broken quoting on row 3" in found.message


def test_text_after_a_closing_quote_is_unreadable() -> None:
    found = problem(csv_text("a,b", "1,2", '3,"closed"tail'))
    assert found.code == "unreadable-file"
    assert "broken quoting" in found.message


def test_problem_carries_the_file_name() -> None:
    found = read_table("Teachers.CSV", b"")
    assert isinstance(found, FileProblem)
    assert found.name == "Teachers.CSV"
    assert found.message.startswith("Teachers.CSV ")


def test_not_utf8_in_the_header_row_is_unreadable() -> None:
    found = problem("Prénom,Nom\r\nAnn,Lee\r\n".encode("cp1252"))
    assert found.code == "unreadable-file"
    assert "row 1, column 1 (A)" in found.message
    assert "Save it as 'CSV UTF-8" in found.message


@pytest.mark.parametrize("data", [b"\nSchool_id,School_name\nS1,One\n", b",,\r\nS1,One,\r\n"])
def test_blank_first_row_means_no_header_row(data: bytes) -> None:
    found = problem(data)
    assert found.code == "empty-file"
    assert "row 1 is blank" in found.message


def test_stray_quote_in_the_header_row() -> None:
    raw = table(csv_text('School"id,Name', "S1,One"))
    assert raw.header == ('School"id', "Name")
    assert records(raw) == [(2, ["S1", "One"])]


_NOISE = st.sampled_from(
    [
        b"a",
        b",",
        b'"',
        b"\n",
        b"\r",
        b" ",
        b"\xc3\xa9",
        b"\x1f",
        b"\x00",
        b"\t",
        b"\xef\xbb\xbf",
        b"\xe9",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=40), st.lists(_NOISE, max_size=30).map(b"".join)))
def test_reader_never_raises(data: bytes) -> None:
    assert isinstance(read_table("x.csv", data), RawTable | FileProblem)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        # an extra field and a missing one would balance the byte count: both still found
        (b"a,b,c\n1,2,3,4\n5,6\n", [4, 2]),
        (b"a,b\n1,2,\n3,4\n", [3, 2]),  # a trailing comma is an extra (empty) field
        (b"a,b\n1,2\n3,4,", [2, 3]),  # ... also on a last line without a line break
        (b"a,b\n1,2\n3,4", [2, 2]),
    ],
)
def test_field_counts_without_quotes(data: bytes, fields: list[int]) -> None:
    result = read_table("schools.csv", data)
    assert isinstance(result, RawTable)
    assert result.frame[FIELDS].to_list() == fields


@pytest.mark.parametrize(
    ("data", "from_disk"),
    [
        (b"a,b\r\n1,2\r\n3,4\r\n", True),  # CRLF, a CR at the end of some chunks
        (b"a,b\r\n12,2\r\n3,4\r\n", True),  # ... and a chunk ending in CRLF
        (b"a,b\r\n1,2\r3,4\r\n", False),  # a lone CR: read as bytes (a copy with LF)
        (b'a,b\r\n1,"x\r\ny"\r\n3,4\r', False),  # CRLF in quotes; a lone CR at the end
        (b"\xef\xbb\xbfa,b\n1,2\n,\n", True),  # a byte-order mark, a blank row
        (b"a,b\n1,\x1f\n", False),  # the line separator inside a value: read as bytes
    ],
)
def test_files_scanned_in_small_chunks_read_as_their_bytes(
    data: bytes, from_disk: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_SCAN", 5)  # every chunk boundary falls somewhere odd
    path = tmp_path / "students.csv"
    path.write_bytes(data)
    # polars reads the file itself unless its line endings or bytes need the bytes way
    assert (reader._scan(path, data.startswith(b"\xef\xbb\xbf")) is not None) is from_disk
    from_path, from_bytes = read_table("students.csv", path), read_table("students.csv", data)
    assert isinstance(from_path, RawTable)
    assert isinstance(from_bytes, RawTable)
    assert records(from_path) == records(from_bytes)
    assert from_path.frame[FIELDS].to_list() == from_bytes.frame[FIELDS].to_list()
