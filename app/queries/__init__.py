"""Read-only queries used by the GUI, the CLI and the reports. Nothing here writes."""
