"""Telling staff about their duties: reminders before each shift and notices when their shifts change.

Both go through the outbox (``notifications.outbox``) under unique dedup keys, in each person's language.
"""
