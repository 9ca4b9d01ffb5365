"""The only code that talks to the Kubernetes API: config, list+watch cache, actions, logs."""
