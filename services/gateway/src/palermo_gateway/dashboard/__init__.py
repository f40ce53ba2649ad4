"""The Secretariat's dashboard: a projection of the event log, its API and page."""
