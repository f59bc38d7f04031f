"""The accounting console: a web console at /console for the gateway's staff (German
interface), served by `gateway serve` beside the shop facade.

roles (what each staff member may see and do), accounts (staff, logins, sessions), store
(its queries), web (the Flask app, sessions, CSRF, mounting) and the views.
"""
