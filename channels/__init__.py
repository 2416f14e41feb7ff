"""Input channels that keep card data out of Rasa."""
