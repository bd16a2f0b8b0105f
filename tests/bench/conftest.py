"""The benchmarks are not tests: keep pytest from collecting anything here.

Run them with ``python -m tests.bench`` from the repository root.
"""

collect_ignore_glob = ["*.py"]
