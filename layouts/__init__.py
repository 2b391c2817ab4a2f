"""Dash page layouts and view components: pure functions from data to components."""
