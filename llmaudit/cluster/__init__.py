"""Run analyze on a Dask cluster (``--scheduler``): the same pipeline, spread over workers.

Nothing here imports Dask at import time: a run without ``--scheduler`` never loads it.
``connect`` opens a client (a local cluster or a running scheduler), ``plan`` turns the
inputs into tasks (files, and byte ranges of large JSON Lines files), ``tasks`` holds what
runs on the workers and ``analyze`` merges their partial results into the report a single
process would write. docs/scale.md says how to run it on a real cluster.
"""
