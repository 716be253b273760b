"""Clients of a deployed checkout saga: seeding the catalog, the demo, (later) chaos and benchmarks."""
