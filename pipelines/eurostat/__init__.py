"""Eurostat's dissemination API as snapshotted raw sources: download, check, snapshot, parse."""
