"""Commands for whoever runs the app: ``flask --app app prepare``."""

import time

import click
from flask import Blueprint

from app.core import datasets

bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("prepare")
def prepare():
    """Prepare what takes seconds once (MNIST parsed and its PCA), e.g. at image build."""
    started = time.monotonic()
    datasets.prepare()
    click.echo(f"prepared MNIST in {datasets.cache_dir()} "
               f"({time.monotonic() - started:.1f} s)")
