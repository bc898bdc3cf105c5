"""Facts: the data package's event tables kept in the database (docs/facts.md)."""
