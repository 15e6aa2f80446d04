"""Logic behind the public tariff API; ``app.py`` holds routes only."""
