"""The commands behind `kubectl batch ...`: glue between the CLI, kube/ and domain/."""
