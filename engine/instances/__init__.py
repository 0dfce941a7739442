"""Running instances: the instance service and its command base, execution, serialization, the inbox projection."""
