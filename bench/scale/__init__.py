"""`make bench`: the issue #11 scale benchmark (1 M numbers, 100 k owned) — see run.py."""
