"""Mail: render digests and confirmations, compose MIME messages, send them through a transport."""
