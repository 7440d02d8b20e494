"""Taxonomies: KLE (Kommunernes Landsforenings Emnesystematik) and FORM, platform-wide."""
