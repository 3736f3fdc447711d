"""Help text for people: plain argument names, no type labels, no range notation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
import typer.core

__all__ = ["PlainCommand", "at_least"]


class PlainCommand(typer.core.TyperCommand):
    """Help that reads like a person wrote it: arguments under their names (`REQUESTS`,
    `ID...`), without typer's type labels (`<path>`, `<list[str]>`) or usage braces."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        pieces += [p.metavar or p.name or "" for p in self.params if _argument(p)]
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args = [
            (p.metavar or p.name or "", getattr(p, "help", None) or "")
            for p in self.get_params(ctx)
            if _argument(p)
        ]
        opts = [
            record
            for p in self.get_params(ctx)
            if not _argument(p) and (record := p.get_help_record(ctx))
        ]
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)


def at_least(minimum: float) -> Callable[[Any], Any]:
    """An option's check of its lowest value (click's own ranges print `x>=1` in the help)."""

    def check(value: Any) -> Any:
        if value is not None and not value >= minimum:
            raise typer.BadParameter(f"must be {minimum:g} or more, not {value:g}")
        return value

    return check


def _argument(param: Any) -> bool:
    return bool(param.param_type_name == "argument")  # typer's own copy of click's classes
