"""``jiceng`` and ``python -m console``: the console's commands (console.operations.cli) on the
app the factory makes."""

import sys

import click
from flask.cli import FlaskGroup

from console.app import create_app
from console.foundation.settings import ConfigurationError


def _create_app():
    try:
        return create_app()
    except ConfigurationError as exc:
        # Said once, in Chinese, instead of a traceback from inside the command group.
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, set_debug_flag=False)
def main():
    """基层治理控制台 命令行工具。"""


if __name__ == "__main__":
    main()
