"""Notifications: the final report, told to Teams, Slack, a webhook or by e-mail.

contract (the Notifier protocol), event (what is said, from the report),
one module per target formatting and sending, http (retries), dispatch
(settings -> notifiers, send all, never raise).
"""
