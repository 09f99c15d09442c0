"""The web layer: blueprints, validation, presentation, errors and security headers."""
