"""The Textual application: screens, widgets, styles."""
