"""Palermo: embedded runner, demo and command line."""
