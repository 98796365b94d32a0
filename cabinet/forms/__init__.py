"""The cabinet's forms, one module per group of screens."""
