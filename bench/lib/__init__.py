"""Helpers of bench/run, the kafka-dr benchmarks (see bench/README.md)."""
