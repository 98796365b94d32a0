"""Per-language formats (FORMAT_MODULE_PATH): Kazakh, which Django lacks; English dates."""
