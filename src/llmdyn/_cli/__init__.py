"""One module per ``llmdyn`` sub-command; ``llmdyn.cli`` assembles them."""
