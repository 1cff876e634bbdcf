"""report layer (see DESIGN)."""
