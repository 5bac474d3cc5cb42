-- Stream tickets redeemed, by nonce, until they expire: a ticket opens one stream, once, on any worker.
CREATE TABLE live_ticket_nonces (
    nonce text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX live_ticket_nonces_expiry ON live_ticket_nonces (expires_at);
