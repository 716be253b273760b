"""The HTTP API's routes, one module per resource; `checkout_saga.handlers.api` assembles them."""
