"""Cognito user pools as API Gateway's authorizer checks their ID tokens."""
