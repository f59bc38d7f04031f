"""Use cases and the unit of work. Talks to ports, never to SOAP or SQL directly."""
