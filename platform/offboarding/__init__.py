"""Offboarding: the operator schedules a suspended municipality's deletion after a grace
period; the worker deletes every row and file of it when the period has run out."""
