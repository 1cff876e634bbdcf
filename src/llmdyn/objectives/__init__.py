"""objectives layer (see DESIGN)."""
