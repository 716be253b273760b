"""Lambda entry points, one module per function of template.yaml. Each is thin: parse, call the logic, return."""
