"""Infrastructure: serialisation, store URLs, SQL views and keys: the outside world, adapted."""
