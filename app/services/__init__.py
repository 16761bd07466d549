"""Service functions: every change to the data goes through here, validated, in one transaction, audited."""
