"""The benchmark suite: `python -m benchmarks` writes RESULTS.md (see DESIGN.md, "Speed")."""
