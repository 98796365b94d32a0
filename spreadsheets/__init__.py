"""Downloads of the cabinet's tables as XLSX and CSV (see `spreadsheets.export`)."""
