"""Clients of a deployed checkout saga: seeding the catalog, the demo, chaos, benchmarks, tokens, operator actions."""
