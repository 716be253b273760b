"""IAM: every request moto serves authorized resource by resource against the caller's identity policies, the
resource policies services consult (a function's, a queue's), and the temporary credentials of execution roles."""
