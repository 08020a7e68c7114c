"""check: a CI gate on projected monthly cost that says why it moved.

``baseline`` reads the saved baseline, ``decompose`` splits the change into effects that
add up to it, ``gate`` applies the thresholds, ``run.check`` ties them into a
``model.CheckReport``, which ``report.formats.check_format`` renders as Markdown, JSON,
a table or CSV.
"""
