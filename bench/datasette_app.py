"""Datasette as bench/side_by_side.py serves it, for uvicorn's --workers (which needs an import
string): what `datasette serve FILE -m METADATA --setting suggest_facets off --setting
num_sql_threads 4` would serve, in each worker process. Runs in Datasette's own virtual
environment, not the site's."""

import json
import os

from datasette.app import Datasette

app = Datasette(
    [os.environ["SIDE_BY_SIDE_DATABASE"]],
    metadata=json.loads(os.environ["SIDE_BY_SIDE_METADATA"]),
    settings={"suggest_facets": False, "num_sql_threads": 4},
).app()
