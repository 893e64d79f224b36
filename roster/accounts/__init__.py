"""Accounts of the web console: who may log in, with which roles, passwords, invites and throttling.

Plain functions over a session with an injected ``now``; the web layer (``roster.web.auth``) and the CLI
(``dutyflow users``) are thin shells over them.
"""
