"""The benchmark suite of anthropic-batches: see bench/README.md."""
