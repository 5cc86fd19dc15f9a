"""Settings a deployment sets from its environment: topics' replication, min.insync.replicas, whether workers
migrate, and the identity key from a mounted file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.config import Settings
from services.vault import IdentityVault, MissingKey

VARIABLES = ("HRCASE_CONFIG", "HRCASE_KAFKA_REPLICATION_FACTOR", "HRCASE_KAFKA_MIN_INSYNC_REPLICAS", "HRCASE_MIGRATE",
             "HRCASE_IDENTITY_KEY", "HRCASE_IDENTITY_KEY_FILE")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_replication_and_min_insync_replicas_come_from_the_environment_over_the_file(env: pytest.MonkeyPatch,
                                                                                     tmp_path: Path) -> None:
    assert (Settings.from_env().replication_factor, Settings.from_env().min_insync_replicas) == (1, None)
    config = tmp_path / "hrcase.toml"
    config.write_text("[kafka]\nreplication_factor = 2\nmin_insync_replicas = 1\n")
    env.setenv("HRCASE_CONFIG", str(config))
    assert (Settings.from_env().replication_factor, Settings.from_env().min_insync_replicas) == (2, 1)
    env.setenv("HRCASE_KAFKA_REPLICATION_FACTOR", "3")
    env.setenv("HRCASE_KAFKA_MIN_INSYNC_REPLICAS", "2")
    assert (Settings.from_env().replication_factor, Settings.from_env().min_insync_replicas) == (3, 2)


@pytest.mark.parametrize("value", ["three", "0", "11", "-1"])
def test_a_replication_that_is_not_a_number_of_brokers_is_an_error_naming_the_setting(
        env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("HRCASE_KAFKA_REPLICATION_FACTOR", value)
    with pytest.raises(ValueError, match="HRCASE_KAFKA_REPLICATION_FACTOR"):
        Settings.from_env()


def test_workers_migrate_unless_told_no(env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().migrate is True
    for value, migrate in (("no", False), ("NO", False), ("0", False), ("false", False), ("yes", True)):
        env.setenv("HRCASE_MIGRATE", value)
        assert Settings.from_env().migrate is migrate, value
    env.setenv("HRCASE_MIGRATE", "later")
    with pytest.raises(ValueError, match="HRCASE_MIGRATE"):
        Settings.from_env()


def test_the_identity_key_can_come_from_a_mounted_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    (tmp_path / "identity-key").write_text(key + "\n")  # as `kubectl create secret --from-file` keeps it
    env.setenv("HRCASE_IDENTITY_KEY_FILE", str(tmp_path / "identity-key"))
    vault = Settings(data_dir=tmp_path, production=True).vault()
    assert IdentityVault(key).open(vault.seal({"sources": []})) == {"sources": []}
    env.setenv("HRCASE_IDENTITY_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(MissingKey, match="HRCASE_IDENTITY_KEY_FILE"):
        Settings(data_dir=tmp_path, production=True).vault()
