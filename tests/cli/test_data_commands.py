"""`lsat data fetch|stats` on tiny files; errors go through cli.main.main (one line, exit 2)."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
import typer
from typer.testing import CliRunner

from cli.data_commands import data_app


@pytest.fixture
def lsat(monkeypatch, tmp_path):
    """The `lsat` app with the data commands, a private data dir, and a runner for it."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer(pretty_exceptions_enable=False)
    app.add_typer(data_app, name="data")
    return app


def run_main(app, monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Exit code and stderr of `lsat ARGS` through the real entry point (its error handling)."""
    entry = importlib.import_module("cli.main")
    monkeypatch.setattr(entry, "app", app)
    monkeypatch.setattr(sys, "argv", ["lsat", *args])
    with pytest.raises(SystemExit) as done:
        entry.main()
    return done.value.code, capsys.readouterr().err


@pytest.fixture
def ratings_csv(tmp_path):
    path = tmp_path / "mine.csv"
    lines = ["uid,iid,stars,when,name"]
    for user in range(3):
        lines += [f"u{user},i{k},{1 + (k + user) % 5},{1000 + k},Item {k}" for k in range(20)]
    path.write_text("\n".join(lines) + "\n")
    return path


COLUMNS = "user=uid,item=iid,rating=stars,timestamp=when,title=name"


def test_stats_of_a_file_as_json(lsat, ratings_csv, tmp_path):
    args = ["data", "stats", "--file", str(ratings_csv), "--columns", COLUMNS, "--periods", "3"]
    result = CliRunner().invoke(lsat, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["total_samples"], report["num_periods"]) == (30, 3)
    assert [p["samples"] for p in report["periods"]] == [10, 10, 10]
    assert report["periods"][0]["first_timestamp"] == "1970-01-01T00:16:50+00:00"
    assert report["config"]["period_mode"] == "count"
    assert (tmp_path / "data" / "cache" / "streams" / report["stream"] / "meta.json").is_file()
    table = CliRunner().invoke(lsat, args)
    assert table.exit_code == 0
    assert "30 samples in 3 periods" in table.stdout and "cold_item_share" in table.stdout


def test_stats_of_a_file_by_time_bins(lsat, ratings_csv):
    args = ["data", "stats", "--file", str(ratings_csv), "--columns", COLUMNS, "--periods", "2"]
    args += ["--time-range", "1970-01-01 00:16:50,1970-01-01 00:17:00", "--json"]
    result = CliRunner().invoke(lsat, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [p["samples"] for p in report["periods"]] == [15, 15]


def test_fetch_a_named_dataset_from_a_local_copy(lsat, tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text(
        "".join(f"{u}\t{k}\t{1 + k % 5}\t{880000000 + k}\n" for u in (1, 2) for k in range(30))
    )
    (folder / "u.item").write_text("".join(f"{k}|Film {k} (1995)|x\n" for k in range(30)))
    result = CliRunner().invoke(lsat, ["data", "fetch", "ml-100k", "--path", str(folder)])
    assert result.exit_code == 0, result.output
    assert "ml-100k: 40 samples in 20 periods" in result.stdout
    assert "building the stream from 60 ratings" in result.stderr  # progress on stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["data", "stats", "--file", "{tmp}/nope.csv"],
            "error: {tmp}/nope.csv: data file not found",
        ),
        (["data", "stats"], "error: stats: give a dataset name or --file (one of the two)"),
        (["data", "stats", "ml-10m"], "error: dataset: unknown dataset 'ml-10m'"),
        (["data", "fetch", "amazon-book"], "error: path: amazon-book is not downloadable here"),
        (
            ["data", "stats", "--file", "{csv}", "--columns", "user=uid,item=iid,rating=x"],
            "error: {csv}: missing column 'x' (for rating), 'timestamp' (for timestamp)",
        ),
        (
            ["data", "stats", "--file", "{csv}", "--columns", COLUMNS, "--period-size", "50"],
            "error: {csv}: too few samples: 30 samples, need 1,000 for 20 periods of 50",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    lsat, monkeypatch, capsys, tmp_path, ratings_csv, args, message
):
    fill = {"tmp": str(tmp_path), "csv": str(ratings_csv)}
    code, err = run_main(lsat, monkeypatch, capsys, *(a.format(**fill) for a in args))
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(message.format(**fill)), err
    assert not (tmp_path / "data" / "cache" / "streams").exists()


@pytest.fixture
def latin1_csv(tmp_path):
    """Titles with accents written in Latin-1, as older exports are."""
    path = tmp_path / "latin1.csv"
    lines = ["uid,iid,stars,when,name"]
    for user in range(3):
        lines += [f"u{user},i{k},{1 + k % 5},{1000 + k},Café {k}" for k in range(20)]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def folder(tmp, latin1):
    (tmp / "folder.csv").mkdir()
    return tmp / "folder.csv"


def empty_file(tmp, latin1):
    (tmp / "empty.csv").write_bytes(b"")
    return tmp / "empty.csv"


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (
            lambda tmp, latin1: latin1,
            [],
            # 24 bytes of header, then "u0,i0,1,1000,Caf" (16 bytes) before the first é
            "error: {file}: not valid utf-8: byte 0xe9 at offset 40 (line 2); give the file's "
            "encoding (--encoding, e.g. latin-1 or cp1252)",
        ),
        (lambda tmp, latin1: latin1, ["--encoding", "klingon"], "error: encoding: unknown"),
        (folder, [], "error: {file}: a folder, not a data file"),
        (empty_file, [], "error: {file}: the file is empty"),
    ],
    ids=["not utf-8", "unknown encoding", "a folder", "empty"],
)
def test_bad_files_are_one_line_naming_the_file(
    lsat, monkeypatch, capsys, tmp_path, latin1_csv, make, extra, message
):
    file = make(tmp_path, latin1_csv)
    args = ["data", "stats", "--file", str(file), "--columns", COLUMNS, "--periods", "3", *extra]
    code, err = run_main(lsat, monkeypatch, capsys, *args)
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert line.startswith(message.format(file=file)), line
    assert not (tmp_path / "data" / "cache" / "streams").exists()


def test_the_encoding_option_reads_a_latin1_file(lsat, latin1_csv):
    args = ["data", "stats", "--file", str(latin1_csv), "--columns", COLUMNS, "--periods", "3"]
    result = CliRunner().invoke(lsat, [*args, "--encoding", "latin-1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_samples"] == 30


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    lsat, monkeypatch, capsys, tmp_path
):
    """The limit is checked on the file's size: a 1 GB file fails at once (not after minutes of
    parsing or an out-of-memory kill); a 2 MiB file under a 1 MiB limit shows it."""
    monkeypatch.setenv("LSAT_MAX_DATA_FILE_MB", "1")
    path = tmp_path / "big.csv"
    path.write_text("user,item,rating,timestamp\n" + "u,i,4,1000\n" * 200_000)
    code, err = run_main(lsat, monkeypatch, capsys, "data", "stats", "--file", str(path))
    assert code == 2
    assert f"error: {path}: 2 MiB is over the limit of 1 MiB for a ratings file" in err
    assert "(LSAT_MAX_DATA_FILE_MB;" in err
