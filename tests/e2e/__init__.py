"""Live end-to-end conversation cases for QA, in the shape of Rasa Pro's end-to-end tests."""
