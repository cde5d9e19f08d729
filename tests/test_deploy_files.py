"""What can be checked of the container and Kubernetes route without Docker, and the publish step's skip.

Docker cannot run here: the Dockerfile is linted (hadolint) and parsed, the compose file validated against
the Compose Specification's JSON schema, and both held to the repository they package. The code server
command itself is started for real in test_deploy_postgres.py.
"""

import json
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import dagster as dg
import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from conftest import REPO, failure_text
from pipelines.assets.publish import PUBLISH_KEY, publish_asset
from pipelines.publish import URL_ENV, PublishError, PublishTarget, postgres_type

DEPLOY = REPO / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def env_references(path: Path) -> set[str]:
    """Every environment variable a Dagster YAML file reads with `{env: NAME}`."""

    def walk(node) -> set[str]:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                return {node["env"]}
            return set().union(*map(walk, node.values()))
        if isinstance(node, list):
            return set().union(*map(walk, node))
        return set()

    return walk(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_copies_what_exists_and_installs_from_the_lock():
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    assert parser.baseimage.startswith("python:3.11")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == ">=3.11"
    for instruction in parser.structure:
        if instruction["instruction"] == "COPY":
            *sources, _ = instruction["value"].split()
            for source in sources:
                assert (REPO / source).exists(), f"Dockerfile line {instruction['startline'] + 1}: no {source}"
    runs = " ".join(i["value"] for i in parser.structure if i["instruction"] == "RUN")
    makefile_uv = re.search(r"UV_VERSION := (\S+)", (REPO / "Makefile").read_text(encoding="utf-8"))[1]
    assert f"uv=={makefile_uv}" in runs
    assert "uv sync --frozen --no-dev" in runs
    assert "cp deploy/dagster.yaml" in runs
    code_server = compose()["services"]["code-server"]["command"]
    assert json.loads(parser.cmd) == code_server
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"deploy/.env", ".venv", ".dagster", "data/curated"} <= set(ignored)  # no secrets or local state


def test_compose_file_follows_the_compose_specification():
    import check_jsonschema

    schema_path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [error.message for error in validator.iter_errors(compose())] == []
    misspelt = {"services": {"web": {"imagee": "x"}}}  # the schema really checks
    assert "'imagee' was unexpected" in next(validator.iter_errors(misspelt)).message


def test_compose_services_share_one_instance_and_expose_only_loopback():
    spec = compose()
    services = spec["services"]
    dagster_env = set(spec["x-dagster-environment"])
    needed = env_references(DEPLOY / "dagster.yaml") | env_references(DEPLOY / "workspace.yaml")
    assert needed <= dagster_env
    for name in ("code-server", "webserver", "daemon", "instance-setup"):
        assert needed <= set(services[name]["environment"]), name
    assert URL_ENV in services["code-server"]["environment"]  # runs are launched from the code server
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this host"
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DEPLOY / volume.split(":")[0]).exists(), volume
    module = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dagster"]["module_name"]
    assert module in services["code-server"]["command"]
    assert services["instance-setup"]["command"][-2:] == ["duckdb_warehouse", "1"]


def test_team_instance_config_is_valid_dagster_config(tmp_path, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    for name in env_references(DEPLOY / "dagster.yaml"):
        monkeypatch.setenv(name, "5432" if name.endswith("PORT") else "value")
    (tmp_path / "dagster.yaml").write_bytes((DEPLOY / "dagster.yaml").read_bytes())
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["concurrency"]["pools"] == {
        "default_limit": 1,
        "granularity": "run",
    }
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"


def test_embedded_default_is_untouched():
    text = (REPO / "config" / "dagster.yaml").read_text(encoding="utf-8")
    assert "postgres" not in text and yaml.safe_load(text)["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_publish_is_skipped_with_a_reason_when_no_database_is_configured(built, monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)
    result = dg.materialize([publish_asset(built)])
    assert result.success
    assert result.asset_materializations_for_node("publish__postgres_warehouse") == []
    (observation,) = result.asset_observations_for_node("publish__postgres_warehouse")
    assert observation.asset_key == PUBLISH_KEY
    assert URL_ENV in observation.metadata["skipped"].value


def test_a_failed_publish_names_the_target_but_not_its_password(built, monkeypatch):
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(URL_ENV, f"postgresql://publisher:s3cret@127.0.0.1:{port}/warehouse?connect_timeout=5")
    result = dg.materialize([publish_asset(built)], raise_on_error=False)
    assert not result.success
    text = failure_text(result)
    assert f"Publishing to postgresql://publisher@127.0.0.1:{port}/warehouse failed" in text
    assert "s3cret" not in text


def test_publish_target_reads_the_environment_and_hides_the_password():
    assert PublishTarget.from_environment({}) is None
    target = PublishTarget.from_environment(
        {URL_ENV: "postgresql://publisher:s3cret@db.example.org:5433/warehouse", "ENFORCEMENT_PUBLISH_SCHEMA": "stats"}
    )
    assert (target.schema, target.reader_role) == ("stats", "enforcement_reader")
    assert target.describe() == "postgresql://publisher@db.example.org:5433/warehouse"
    with pytest.raises(PublishError, match="schema"):
        PublishTarget("postgresql://x", schema="Robert'); DROP TABLE x")


@pytest.mark.parametrize(
    ("duckdb_type", "postgres"),
    [("VARCHAR", "text"), ("DOUBLE", "double precision"), ("DATE", "date"), ("VARCHAR[]", "text[]"),
     ("DECIMAL(18,3)", "numeric(18,3)"), ("BIGINT", "bigint"), ("STRUCT(a INTEGER)", "jsonb"),
     ("MAP(VARCHAR, INTEGER)", "jsonb"), ("STRUCT(a INTEGER)[]", "jsonb"), ("UNION(a INTEGER, b VARCHAR)", None)],
)  # fmt: skip
def test_duckdb_types_map_to_postgres(duckdb_type, postgres):
    assert postgres_type(duckdb_type) == postgres
