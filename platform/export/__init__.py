"""A municipality's export archive: everything it has, made by the worker, taken once."""
