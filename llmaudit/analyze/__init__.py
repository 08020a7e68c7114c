"""analyze: price every request and aggregate where the money goes.

``run.analyze`` is the pipeline (read, tag, price, aggregate chunk by chunk, build the
``report.model.AnalyzeReport``); ``overspend`` marks easy requests on frontier-priced
models, ``tagsummary`` aggregates the tagged traffic, ``reconcile`` compares with billed
usage, ``projection`` turns a period's cost into a monthly figure and ``findings`` writes
the findings a cost auditor leads with.
"""
