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

*Duplicates are bounded by the messages in flight at the kill.* A worker claims
``settings.send_batch_size`` rows, sends them one by one and records the batch
in one transaction. If it dies in between, the messages the SMTP server had
already accepted in that batch are sent again after the lease expires. So a
killed worker process causes at most ``send_batch_size`` duplicates (default
50), and a subscriber at most one duplicate per kill; the batched record is
the price of not writing one transaction per message. Live workers never
duplicate: a message is only started while its batch's lease has more than a
margin (``min(30 s, lease / 3)``) left, otherwise the row is handed back, and a
late result is only written while the row is still ``sending``. A connection
dropped after DATA but before the server's reply is the one case SMTP itself
cannot settle: it is retried (a possible duplicate, as with any SMTP client).

*No double fan-out.* Editions are unique per (date, slot) and deliveries per
(edition, subscriber), both inserted with ON CONFLICT DO NOTHING, and only the
rows a fan-out actually inserted are enqueued: two beats or a double click send
nobody two digests. Claims are ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or run
under ``BEGIN IMMEDIATE`` (SQLite), so a chunk enqueued twice is sent once.
"""
