import pytest

from config.settings.env import (
    caches_from_url,
    counters_from_url,
    database_from_url,
    mailer_from_url,
    url_origin,
)


def test_sqlite_gets_wal_immediate_transactions_and_a_busy_timeout(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url_keeps_connections_with_health_checks():
    config = database_from_url("postgres://shop:pw@db.example:5433/shop")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "shop")
    assert config["CONN_HEALTH_CHECKS"] is True


def test_default_cache_is_shared_by_processes_and_pages_are_per_process_by_default():
    embedded = caches_from_url("")
    assert embedded["default"]["BACKEND"].endswith("db.DatabaseCache")
    assert embedded["pages"]["BACKEND"].endswith("LocMemCache")
    redis = caches_from_url("redis://127.0.0.1:6379/1")
    assert redis["default"]["BACKEND"].endswith("RedisCache")
    assert redis["pages"]["BACKEND"].endswith("RedisCache")
    assert redis["default"]["KEY_PREFIX"] != redis["pages"]["KEY_PREFIX"]


def test_rate_counters_are_a_file_of_the_machine_or_redis(tmp_path):
    embedded = counters_from_url("", tmp_path)
    assert embedded["BACKEND"].endswith("SqliteFileCounters")
    assert embedded["OPTIONS"]["path"] == str(tmp_path / "limits.sqlite3")
    assert counters_from_url("redis://h:6379/2", tmp_path)["OPTIONS"] == {"url": "redis://h:6379/2"}


def test_email_urls():
    smtp = mailer_from_url("smtp://user:p%40ss@mail.example:2525?tls=1")
    assert smtp["BACKEND"].endswith("smtp.EmailBackend")
    assert smtp["OPTIONS"]["host"] == "mail.example"
    assert smtp["OPTIONS"]["port"] == 2525
    assert smtp["OPTIONS"]["password"] == "p@ss"
    assert smtp["OPTIONS"]["use_tls"] is True
    assert mailer_from_url("console://")["BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ValueError, match="scheme"):
        mailer_from_url("carrier-pigeon://coop")


def test_processes_starting_together_on_a_fresh_var_dir_share_one_secret_key(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from config.settings.env import secret_key; "
        "print(secret_key(Path(sys.argv[1]), required=False))"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "var")], stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {proc.communicate(timeout=300)[0].strip() for proc in starts}
    assert len(keys) == 1
    assert keys == {(tmp_path / "var" / "secret_key").read_text().strip()}
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret_key"]  # no drafts left


def test_url_origin_names_another_origin_and_none_for_a_path():
    assert url_origin("https://cdn.example.com/media/") == "https://cdn.example.com"
    assert url_origin("http://127.0.0.1:9000/shop-media/x.jpg") == "http://127.0.0.1:9000"
    assert url_origin("/media/") is None
