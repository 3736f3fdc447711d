"""A griffe extension for the API reference: a class's private bases (`_Model`) are left out
of its "Bases:" line; the public ones stay. The models share a private base class that sets
their configuration, which is no part of the public API."""

from __future__ import annotations

from typing import Any

import griffe


class PublicBases(griffe.Extension):
    """Drop the bases whose name starts with an underscore."""

    def on_class_instance(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        cls.bases = [b for b in cls.bases if not str(b).rpartition(".")[2].startswith("_")]
