"""scaffold: create production-grade Go service repositories and keep them up to date."""
