"""The benchmark suite: twiliorm next to the official ``twilio`` client and raw urllib3.

Not part of the test run (see ``conftest.py``). Run it from the repository root with
``python -m tests.bench`` (``--help`` for options); it prints a table and writes JSON.

- ``data``: realistic Message records and their pages, rendered once.
- ``server``: a loopback HTTP server that serves those pre-rendered bytes.
- ``child``: one client, one workload, in a fresh process; prints its figures.
- ``run``: the orchestrator (interleaved repetitions, medians, paired ratios, targets).
- ``report``: the table and the target checks.
- ``bench_structure``: cattrs' generated structuring next to twiliorm's, per record.
"""
