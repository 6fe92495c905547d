"""Files: atomic writes and the one model-file format."""
