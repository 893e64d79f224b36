"""reports: see schema.py for its section of the admin file."""
