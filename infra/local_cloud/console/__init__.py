"""The saga console: ``/_console/`` on the local cloud. A read-only web page over the same AWS APIs a client
would use (Step Functions, DynamoDB, CloudWatch Logs), called from inside the local cloud's process:
the sagas by status, one saga's state machine graph with the path it took, its history, and the metrics the
functions write as CloudWatch embedded-metric logs, for every saga state machine its tags describe (saga_kinds).
See docs/local-cloud.md."""
