"""The application version, reported by the API and the page."""

VERSION = "1.0.0"
