"""``llmaudit shadow``: quality evidence from the team's own traffic.

A seeded, stratified sample of the logged requests (``sample``) is replayed to candidate
models over an OpenAI-compatible endpoint (``payload``, ``client``), every answer kept
in an on-disk cache so nothing is paid twice (``cache``), scored against the logged
answer (``score``), and written as a quality file ``simulate --quality`` reads
(``evidence``). ``run`` ties the steps together; the CLI lives in ``llmaudit.cli.shadow``.
"""
