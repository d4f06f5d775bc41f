"""Use cases: the only layer that combines core, storage and providers. Services never commit;
the request or worker-pass boundary does."""
