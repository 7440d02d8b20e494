"""The platform's e-mail service: components queue messages (services.py) in their own
transaction; `autoproces worker` (cli.py, sender.py) sends them for every municipality."""
