"""DynamoDB: moto's made atomic per request and per transaction, its GSI queries and update expressions made
cheap, and what each request would consume on AWS metered (capacity units from item sizes)."""
