"""Benchmarks: each script measures one path beside a bare baseline in the same run."""
