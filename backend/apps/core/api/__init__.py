"""Core endpoints, one router per resource, mounted by config/api.py under its prefix."""
