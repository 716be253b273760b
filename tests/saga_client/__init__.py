"""The clients of a deployed stack (infra/saga_client), without a stack: chaos scenario and invariants,
histories, the API client, bench exit codes."""
