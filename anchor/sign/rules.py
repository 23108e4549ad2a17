"""The glossing rules of a language, read once from rules/LANG.toml."""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")


@cache
def rules(language: str) -> dict:
    return tomllib.loads((RULES_DIR / f"{language}.toml").read_text(encoding="utf-8"))
