"""Teacher workload: weighted weekly lessons, standards, balance across grades, subjects and schools."""
