"""Attachments on processes: the row (models.py), checking and storing files and their
clean-up when a process is deleted (services.py), the process page's forms (views.py) and
the REST API (api.py). The templates are the register's (processes/_attachments.html)."""
