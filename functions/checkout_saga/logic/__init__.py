"""The saga's domain logic: plain functions over the repositories of `checkout_saga.dal.interfaces`.
No boto3 here; every function is safe to run twice for the same order."""
