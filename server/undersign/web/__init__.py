"""Everything that knows about HTTP requests: pages, the APIs, headers, limits, errors, health."""
