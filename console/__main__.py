"""``jiceng`` and ``python -m console``: the console's commands (console.operations.cli) on the
app the factory makes."""

import click
from flask.cli import FlaskGroup

from console.app import create_app


@click.group(cls=FlaskGroup, create_app=create_app, set_debug_flag=False)
def main():
    """基层治理控制台 命令行工具。"""


if __name__ == "__main__":
    main()
