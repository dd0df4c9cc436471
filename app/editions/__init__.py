"""Editions: one per date and send slot; one delivery per (edition, subscriber).

Delivery guarantee
------------------
*Nothing is lost.* Every delivery row is created (pending) before any mail goes
out, and only a committed terminal state (sent, bounced, failed, skipped) takes
it off the books. A row a dead worker had claimed stays ``sending`` until its
lease (``settings.delivery_lease_seconds``) expires; recovery (the
``editions.recover`` beat job every minute, and ``paperboy send`` while it
waits) then puts it back to pending and re-enqueues it. Pending rows whose task
vanished (a SIGKILLed worker takes its prefetched, unacknowledged tasks with it
until Redis's visibility timeout, an hour by default) are re-enqueued once they
have been untouched for a lease period. Recovery never waits for the broker.

*Duplicates are bounded by the messages on the wire.* A worker claims
``settings.send_batch_size`` rows and renders them together, but records each
outcome as the SMTP server accepts it (at most ``send_record_every``, 1 by
default, unwritten at a time: written on a background thread while the next
message goes out, see ``recording``). A worker killed with ``kill -9``
therefore re-sends, after the lease, only the messages it had on the wire (the
one whose end-of-data reply had not arrived, with SMTP pipelining) plus any
accepted but not yet recorded. Live workers never duplicate: a message is only
started while its batch's lease has more than a margin (``min(30 s, lease /
3)``) left, otherwise the row is handed back, and a late result is only written
while the row is still ``sending``. A connection dropped after DATA but before
the server's reply is the one case SMTP itself cannot settle: it is retried (a
possible duplicate, as with any SMTP client).

*Outages are waited out.* Claims, records and ``paperboy send``'s own polling
retry while the database is away (``database_outage_seconds``), so a restart
or a failover pauses a send instead of failing it, and rows claimed by a live
worker are recorded by that worker when the database is back (no lease wait).

*One bad item fails alone.* An address that cannot travel through the relay
(a non-ASCII local part without SMTPUTF8), a digest that will not render or
encode, a reader whose ranking fails: that one delivery ends ``failed`` with its
reason and the batch goes on.

*No double fan-out.* Editions are unique per (date, slot) and deliveries per
(edition, subscriber), both inserted with ON CONFLICT DO NOTHING, and only the
rows a fan-out actually inserted are enqueued: two beats or a double click send
nobody two digests. Claims are ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or run
under ``BEGIN IMMEDIATE`` (SQLite), so a chunk enqueued twice is sent once.
"""
