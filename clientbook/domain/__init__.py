"""The domain: aggregates, value objects, policies and errors. No I/O here."""
