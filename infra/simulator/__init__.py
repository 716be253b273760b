"""The deterministic simulator (docs/simulation.md): the real step handlers, logic and data access over moto's
DynamoDB in this process, every interleaving of their calls and every fault chosen by a seeded scheduler."""
