-- A labour's updates (announcements, status updates, private notes) as the person's record holds them; an update
-- deleted from the record leaves here too.
CREATE TABLE labour_updates (
    id text PRIMARY KEY,
    labour_id text NOT NULL REFERENCES labours (id),
    kind text NOT NULL CHECK (kind IN ('announcement', 'status_update', 'private_note')),
    message text,
    moment text,
    posted_by text NOT NULL,
    posted_at timestamptz NOT NULL,
    edited_at timestamptz,
    version bigint NOT NULL  -- the person's version this row was written at
);
CREATE INDEX labour_updates_of_labour ON labour_updates (labour_id, posted_at);
