"""How ``paperboy … --help`` reads: arguments by their name alone, as Click writes them.

Typer labels every positional argument with its Python type (``EMAIL <str>``,
``[FILE]... <list[Path]>``) and writes a required one in braces (``{EMAIL}``); the
options already read plainly through their metavars. Every command is registered with
``cls=PlainCommand`` so its arguments read the same way.
"""

from __future__ import annotations

from typer import _click as click  # Typer's own copy of Click, which its commands subclass
from typer.core import TyperCommand


def _argument_name(argument: click.Parameter) -> str:
    """``EMAIL``, ``[FILE]...``: the metavar when one is given, Click's spelling otherwise."""
    if argument.metavar is not None:
        return argument.metavar
    name = (argument.name or "").upper()
    if not argument.required:
        name = f"[{name}]"
    return f"{name}..." if argument.nargs != 1 else name


class PlainCommand(TyperCommand):
    """A Typer command whose usage line and Arguments section carry no Python types."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_name(param))
        return pieces

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                # Typer's record is "NAME <type>"; its help text (and [required]) is kept.
                arguments.append((_argument_name(param), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)
