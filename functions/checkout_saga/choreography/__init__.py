"""The checkout without an orchestrator: each service reacts to the others' events (docs/choreography.md)."""
