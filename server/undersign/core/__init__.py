"""What every layer uses: settings, database, models, cache, logs, metrics, languages, keys."""
