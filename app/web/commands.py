"""Commands for whoever runs the app: ``flask --app app prepare``."""

import time

import click
from flask import Blueprint, current_app

from app.core import analysis, datasets
from app.web.catalog import DEFAULT_K_MAX

bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("prepare")
def prepare():
    """Prepare what takes seconds once, e.g. at image build: MNIST parsed and its PCA,
    and the elbow of every built-in data set at its defaults (the page's first)."""
    library = current_app.extensions["datasets"]
    started = time.monotonic()
    library.prepare()
    click.echo(f"prepared MNIST in {library.cache_dir} "
               f"({time.monotonic() - started:.1f} s)")
    started = time.monotonic()
    for name in datasets.BUILT_IN:
        data = library.load(name, datasets.defaults(name))
        analysis.prepare_elbow(data, min(DEFAULT_K_MAX, data.n_samples), library.cache_dir)
    click.echo(f"prepared the elbows of {len(datasets.BUILT_IN)} data sets at their defaults "
               f"for k = 1 to {DEFAULT_K_MAX} ({time.monotonic() - started:.1f} s)")
