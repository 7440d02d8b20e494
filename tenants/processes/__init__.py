"""The process register: processes a municipality could automate, from idea to operation."""
