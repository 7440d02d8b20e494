"""The operator console: OS2's administration of tenants, through metadata and aggregates only."""
