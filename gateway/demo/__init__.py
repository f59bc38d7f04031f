"""`gateway demo`: the whole flow on a temporary database, in under a minute."""
