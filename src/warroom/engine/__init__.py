"""The engine: workers that fire durable timers, deliver the outbox and run periodic passes.

Every pass is idempotent and claims its rows under a lease, so several instances can run on
one PostgreSQL database and an instance that dies mid-pass loses nothing.
"""
