"""Data access: the logic sees the interfaces of `interfaces`; `dynamodb_*` modules implement them."""
