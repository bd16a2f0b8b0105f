"""The benchmark suite: twiliorm next to the official ``twilio`` client and raw urllib3.

Not part of the test run (see ``conftest.py``). Run it from the repository root with
``python -m tests.bench`` (``--help`` for options); it prints a table and writes JSON.
``RESULTS.md`` holds a run on the project's machine and what stands in the way of
the targets it misses.

- ``data``: realistic Message records and their pages, rendered once.
- ``server``: a loopback HTTP server that serves those pre-rendered bytes.
- ``clients``: each measured client doing each workload the way its users would.
- ``child``: one client, one workload, in a fresh process; prints its figures.
- ``run``: the orchestrator (interleaved repetitions, the latency experiment).
- ``report``: medians, paired ratios, the table and the target checks.
- ``bench_structure``: cattrs' generated structuring next to twiliorm's, per record.
- ``profile``: one twiliorm workload under cProfile.
- ``async_choice``: aiohttp or httpx for the async client (``ASYNC_CHOICE.md``).
- ``async_fetch``: the async client next to raw aiohttp and the official async client.
"""
