"""Admin of the training app."""
