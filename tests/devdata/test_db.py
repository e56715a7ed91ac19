"""devdata.db: the benchmarks' database helper never drops a database that is not a benchmark's."""

import pytest

from devdata import db


def test_config_parses_a_url_as_the_settings_do():
    cfg = db.config("mysql://root:pw@db.example:3307/oms_bench_x")

    assert (cfg["ENGINE"], cfg["HOST"], cfg["PORT"], cfg["NAME"]) == (
        "django.db.backends.mysql",
        "db.example",
        3307,
        "oms_bench_x",
    )
    assert db.is_mysql("mysql://root@127.0.0.1/oms") and not db.is_mysql("sqlite:///tmp/x.sqlite3")


@pytest.mark.parametrize("name", ["oms", "test_oms", "production", "bench_oms"])
def test_fresh_refuses_to_drop_a_database_that_is_not_a_benchmarks(name):
    # Refused before any connection is made (the port is closed).
    with pytest.raises(ValueError, match="refusing to drop"):
        db.create_database(f"mysql://root@127.0.0.1:1/{name}", fresh=True)


def test_sqlite_needs_no_database_created(tmp_path):
    path = tmp_path / "oms.sqlite3"

    assert db.create_database(f"sqlite:///{path}") == str(path)
    assert not path.exists()  # Django creates the file; the helper connects to nothing


def test_main_reports_a_refusal_and_exits_non_zero(capsys):
    assert db.main(["create", "--fresh", "mysql://root@127.0.0.1:1/oms"]) == 1
    assert "refusing to drop" in capsys.readouterr().err
