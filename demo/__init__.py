"""The static-data sales demo: built-in data, no database, no login, no network."""
