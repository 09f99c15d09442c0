"""The stores: where sessions live between requests (``base`` has the interface)."""
