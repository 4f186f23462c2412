"""The audit trail (IHE Basic Audit Log Patterns AuditEvents, hash-chained) and break-glass
emergency access."""
