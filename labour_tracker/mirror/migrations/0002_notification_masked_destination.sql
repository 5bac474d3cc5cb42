-- Where each notification went, masked (`+44•••••••123`, `s•••@example.org`): kept after the destination is
-- cleared, for the lists of what was sent. Rows mirrored before it have none until their record changes again.
ALTER TABLE notifications ADD COLUMN masked_destination text NOT NULL DEFAULT '';
-- A sent SMS moves on to delivered or undelivered when the provider reports on it.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'delivered', 'undelivered'));
-- What was sent about a person's labours, newest first.
CREATE INDEX notifications_about_person ON notifications (birthing_person_id, created_at);
