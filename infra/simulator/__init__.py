"""The deterministic simulator (docs/simulation.md): the real step handlers, logic and data access over moto's
DynamoDB in this process, every interleaving of their calls and every fault chosen by a seeded scheduler."""

import os

# The functions log and emit metrics as on Lambda; thousands of schedules a minute would print millions of lines.
# powertools reads these when the product's observability module is first imported, hence here, first.
for _name, _value in {
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "simulator",
    "POWERTOOLS_METRICS_NAMESPACE": "simulator",
}.items():
    os.environ.setdefault(_name, _value)
