"""Dagster's run history on disk: written without a flush per event, and whole for any other process."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import sqlalchemy

from pipelines import history


@dg.asset
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for number in range(5):
        context.log.info(f"line {number}")
    return dg.MaterializeResult(metadata={"rows": 5})


READ_BACK = """
import sys
import dagster as dg
with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
    print(len(instance.all_logs(sys.argv[2])), instance.get_latest_materialization_event(dg.AssetKey("counted"))
          .asset_materialization.metadata["rows"].value)
"""


def test_run_history_is_kept_open_without_flushes_and_another_process_reads_all_of_it(tmp_path: Path):
    history.write_history_without_flushes()
    history.write_history_without_flushes()  # idempotent: one listener
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        results = [dg.materialize([counted], instance=instance) for _ in range(3)]
        logged_here = len(instance.all_logs(results[-1].run_id))
    assert all(result.success for result in results)
    run_db = home / "history" / "runs" / f"{results[-1].run_id}.db"
    assert str(run_db) in history._kept and len(history._kept) <= history.KEPT_OPEN

    engine = sqlalchemy.create_engine(f"sqlite:///{run_db}", poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, synchronous) == ("wal", 1)  # 1: NORMAL

    with dg.DagsterInstance.ephemeral() as instance:  # in memory: left alone, nothing kept
        kept = len(history._kept)
        assert dg.materialize([counted], instance=instance).success
        assert len(history._kept) == kept

    read = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(home), results[-1].run_id], capture_output=True, text=True, check=True
    )
    events, rows = read.stdout.split()
    assert int(events) == logged_here and logged_here > len(results[-1].all_events) and rows == "5", read.stdout
