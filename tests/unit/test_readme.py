"""The README's configuration table names every setting the code knows."""
from __future__ import annotations

from pathlib import Path

from gateway.config import SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [s.name for s in SETTINGS if f"`GATEWAY_{s.name.upper()}`" not in README]
    assert missing == []
