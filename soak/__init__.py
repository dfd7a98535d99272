"""The scale-out soak (make soak): soak/run.py drives it, soak/reliability.py writes RELIABILITY.md."""
