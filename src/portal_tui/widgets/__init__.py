"""Reusable widgets: the paged result table, the sidebar, the status bar."""
