"""What every layer uses: settings, database, models, the count, rights, audit, languages, keys."""
