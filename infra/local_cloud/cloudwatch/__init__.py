"""CloudWatch: metrics extracted from embedded-metric-format log lines, and metric alarms evaluated with their
SNS actions, the two parts moto leaves out."""
