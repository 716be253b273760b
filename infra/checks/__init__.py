"""Checks that the project's safety nets hold: each removed Catch or IAM statement must fail a test."""
