"""Custom actions of the settle-balance assistant (rasa-sdk)."""
