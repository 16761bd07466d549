"""Validation and normalisation of the values people type: IDs, class names, text."""
