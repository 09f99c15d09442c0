"""Commands for whoever runs the app: ``flask --app app prepare``."""

import time

import click
from flask import Blueprint

from app.core import analysis, datasets
from app.web.catalog import DEFAULT_K_MAX

bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("prepare")
def prepare():
    """Prepare what takes seconds once, e.g. at image build: MNIST parsed and its PCA,
    and the elbow of every built-in data set at its defaults (the page's first)."""
    started = time.monotonic()
    datasets.prepare()
    click.echo(f"prepared MNIST in {datasets.cache_dir()} "
               f"({time.monotonic() - started:.1f} s)")
    started = time.monotonic()
    for name in datasets.BUILT_IN:
        data = datasets.load(name, datasets.defaults(name))
        analysis.prepare_elbow(data, min(DEFAULT_K_MAX, data.n_samples), datasets.cache_dir())
    click.echo(f"prepared the elbows of {len(datasets.BUILT_IN)} data sets at their defaults "
               f"for k = 1 to {DEFAULT_K_MAX} ({time.monotonic() - started:.1f} s)")
