"""Teaching routine: lesson observation (听课) against quotas, and routine checks of the seven links 备讲批辅考思研."""
