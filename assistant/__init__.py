"""What the Rasa side (the Rasa process's channels and components, and the action server) shares."""
