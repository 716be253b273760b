"""Checkout saga: the Lambda code of every step, compensation and API route."""
