"""API Gateway (REST, v1): requests to a stage invoke their Lambda proxy integration, which moto does not do,
behind the stage's throttling and the method's Cognito authorizer."""
