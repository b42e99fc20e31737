"""Application services: thin commands and queries over the one ClientBook log."""
