"""The project checks (infra/checks): each mutation of the ASL or of an IAM statement, in a copy of the project."""
