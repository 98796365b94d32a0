"""The cabinet's views, one module per group of screens (cabinet/urls.py maps them)."""
