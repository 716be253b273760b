"""Step Functions: moto's ASL interpreter turned on and fitted to AWS (execution names, input limits, the
``Lambda.<code>`` error names of refused invocations), its Lambda calls made in this process as the state
machine's role, and definitions parsed once."""
