"""Custom Rasa graph components."""
