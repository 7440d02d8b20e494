"""Realised runs of processes from any RPA tool (CSV upload or the API), the realised hours
per year computed from them, and the owner's three-month lessons reminder."""
